"""What the inventory module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "0.1.0"

MANIFEST = Manifest(
    name="inventory",
    version=VERSION,
    description="Inventory (generated: describe the module here).",
    commands=[
        ManifestCommand(path="inventory", description="How many items this community has.", usage="!inventory"),
    ],
    # command_budget=...  seconds the router waits; unset: the service table's default (interaction)
)

SPEC = ModuleSpec(manifest=MANIFEST, commands={"inventory": service.count_command})
