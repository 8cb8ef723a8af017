"""What the shoutout module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "0.1.0"

MANIFEST = Manifest(
    name="shoutout",
    version=VERSION,
    description="Shoutout (generated: describe the module here).",
    commands=[
        ManifestCommand(path="shoutout", description="How many items this community has.", usage="!shoutout"),
    ],
    # command_budget=...  seconds the router waits; unset: the service table's default (interaction)
)

SPEC = ModuleSpec(manifest=MANIFEST, commands={"shoutout": service.count_command})
