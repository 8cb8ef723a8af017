"""What the memories module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core.events import Manifest, ManifestCommand
from flask_core.module import ModuleSpec

from . import bookmarks, commands, reminders
from .commands import ALIASES, ROLES, USAGES

VERSION = "0.3.0"

DESCRIPTIONS = {
    "quote": "Show a random quote, or the quote with this number.",
    "quote search": "Find quotes containing every word.",
    "quote add": "Add a quote; without ' - author' it is credited to the broadcaster.",
    "quote edit": "Change a quote's text (and its author when given).",
    "quote remove": "Remove a quote; its number is not reused.",
    "bookmark add": "Save a link; without a title the page's title is looked up.",
    "bookmark list": "The newest bookmarks.",
    "bookmark search": "Find bookmarks whose link or title contains every word.",
    "bookmark remove": "Remove a bookmark.",
    "remind": "Remind you or someone in a while, at a time, or every day.",
    "remind list": "Your reminders, soonest first.",
    "remind cancel": "Cancel a reminder you set (moderators: any).",
}
ALL_USAGES = {**USAGES, **bookmarks.USAGES, **reminders.USAGES}
ALL_ROLES = {**ROLES, **bookmarks.ROLES, **reminders.ROLES}

MANIFEST = Manifest(
    name="memories",
    version=VERSION,
    description="Quotes from the stream, bookmarks and reminders.",
    commands=[
        ManifestCommand(
            path=path,
            description=DESCRIPTIONS[path],
            usage=usage,
            role=ALL_ROLES.get(path, "everyone"),
            aliases=ALIASES.get(path, []),
        )
        for path, usage in ALL_USAGES.items()
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
        "bookmark add": bookmarks.add,
        "bookmark list": bookmarks.list_bookmarks,
        "bookmark search": bookmarks.search,
        "bookmark remove": bookmarks.remove,
        "remind": reminders.remind,
        "remind list": reminders.list_reminders,
        "remind cancel": reminders.cancel,
    },
    batch={"quote": commands.show_many},
)
