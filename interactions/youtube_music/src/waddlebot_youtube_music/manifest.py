"""What the youtube_music module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "0.1.0"

MANIFEST = Manifest(
    name="youtube_music",
    version=VERSION,
    description="Youtube music (generated: describe the module here).",
    commands=[
        ManifestCommand(path="youtube_music", description="How many items this community has.", usage="!youtube_music"),
    ],
    # command_budget=...  seconds the router waits; unset: the service table's default (interaction)
)

SPEC = ModuleSpec(manifest=MANIFEST, commands={"youtube_music": service.count_command})
