"""What the spotify module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "0.1.0"

MANIFEST = Manifest(
    name="spotify",
    version=VERSION,
    description="Spotify (generated: describe the module here).",
    commands=[
        ManifestCommand(path="spotify", description="How many items this community has.", usage="!spotify"),
    ],
    # command_budget=...  seconds the router waits; unset: the service table's default (interaction)
)

SPEC = ModuleSpec(manifest=MANIFEST, commands={"spotify": service.count_command})
