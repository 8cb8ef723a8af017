"""What the memories module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core.events import Manifest, ManifestCommand
from flask_core.module import ModuleSpec

from . import commands

VERSION = "0.1.0"

MANIFEST = Manifest(
    name="memories",
    version=VERSION,
    description="Community memories: quotes with their game and date.",
    commands=[
        ManifestCommand(
            path="quote",
            description="Show a random quote, or the quote with this number.",
            usage="!quote [number]",
            role="everyone",
        ),
        ManifestCommand(
            path="quote add",
            description="Add a quote; the author defaults to you.",
            usage="!quote add <text> [- author]",
            role="moderator",
        ),
        ManifestCommand(
            path="quote search",
            description="Find quotes containing every word.",
            usage="!quote search <words>",
            role="everyone",
        ),
        ManifestCommand(
            path="quote remove",
            description="Remove a quote; its number is not reused.",
            usage="!quote remove <number>",
            role="moderator",
        ),
    ],
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={
        "quote": commands.show,
        "quote add": commands.add,
        "quote search": commands.search,
        "quote remove": commands.remove,
    },
    batch={"quote": commands.show_many},
)
