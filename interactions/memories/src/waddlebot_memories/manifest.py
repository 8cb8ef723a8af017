"""What the memories module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core.events import Manifest, ManifestCommand
from flask_core.module import ModuleSpec

from . import commands
from .commands import ALIASES, ROLES, USAGES

VERSION = "0.2.0"

DESCRIPTIONS = {
    "quote": "Show a random quote, or the quote with this number.",
    "quote search": "Find quotes containing every word.",
    "quote add": "Add a quote; without ' - author' it is credited to the broadcaster.",
    "quote edit": "Change a quote's text (and its author when given).",
    "quote remove": "Remove a quote; its number is not reused.",
}

MANIFEST = Manifest(
    name="memories",
    version=VERSION,
    description="Quotes from the stream, with their game and date.",
    commands=[
        ManifestCommand(
            path=path,
            description=DESCRIPTIONS[path],
            usage=usage,
            role=ROLES.get(path, "everyone"),
            aliases=ALIASES.get(path, []),
        )
        for path, usage in USAGES.items()
    ],
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={
        "quote": commands.show,
        "quote add": commands.add,
        "quote edit": commands.edit,
        "quote search": commands.search,
        "quote remove": commands.remove,
    },
    batch={"quote": commands.show_many},
)
