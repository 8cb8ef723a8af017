"""What the calendar module offers the router: its commands, roles and handlers (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import commands

VERSION = "0.1.0"
DESCRIPTIONS = {
    "event create": "Create an event (optionally weekly, with seats, or needing approval).",
    "event list": "Upcoming events.",
    "event join": "Take a seat (or a place on the waitlist).",
    "event leave": "Give up your seat or waitlist place.",
    "event cancel": "Cancel an event.",
    "event approve": "Open an event that needs approval.",
    "event feed": "The community's iCalendar feed URL, sent privately.",
}

MANIFEST = Manifest(
    name="calendar",
    version=VERSION,
    description="Events with seats, a waitlist, reminders and a calendar feed.",
    commands=[
        ManifestCommand(path=path, description=DESCRIPTIONS[path], usage=usage, role=commands.ROLES[path])
        for path, usage in commands.USAGES.items()
    ],
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={
        "event create": commands.create,
        "event list": commands.list_events,
        "event join": commands.join,
        "event leave": commands.leave,
        "event cancel": commands.cancel,
        "event approve": commands.approve,
        "event feed": commands.feed,
    },
)
