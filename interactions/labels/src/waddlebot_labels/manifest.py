"""What the labels module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "0.1.0"

MANIFEST = Manifest(
    name="labels",
    version=VERSION,
    description="Labels (generated: describe the module here).",
    commands=[
        ManifestCommand(path="labels", description="How many items this community has.", usage="!labels"),
    ],
    # command_budget=...  seconds the router waits; unset: the service table's default (interaction)
)

SPEC = ModuleSpec(manifest=MANIFEST, commands={"labels": service.count_command})
