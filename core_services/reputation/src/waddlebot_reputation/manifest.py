"""The reputation manifest: its chat commands and the events that earn points (§4.5)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import commands
from .commands import ROLES, USAGES

VERSION = "0.2.0"
DESCRIPTIONS = {
    "points": "Your points, or someone's.",
    "points add": "Give someone points.",
    "points remove": "Take points from someone.",
    "give": "Give some of your points to someone.",
    "top": "The community's leaderboard.",
    "rank": "Your place on the leaderboard.",
    "giveaway start": "Open a giveaway.",
    "join": "Enter the open giveaway.",
    "giveaway draw": "Draw the giveaway's winner (optionally weighted by points).",
}
ACTIVITY = ("follow", "subscription", "gift_subscription", "cheer", "raid")

MANIFEST = Manifest(
    name="reputation",
    version=VERSION,
    description="One points balance per community and user, across linked platforms; giveaways.",
    commands=[
        ManifestCommand(
            path=path, description=DESCRIPTIONS[path], usage=usage, role=ROLES.get(path, "everyone")
        )
        for path, usage in USAGES.items()
    ],
    events=["chat_message", *ACTIVITY],
)
SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={
        "points": commands.points,
        "points add": commands.points_add,
        "points remove": commands.points_remove,
        "give": commands.give,
        "top": commands.top,
        "rank": commands.rank,
        "giveaway start": commands.giveaway_start,
        "join": commands.join,
        "giveaway draw": commands.giveaway_draw,
    },
    events={"chat_message": commands.on_chat, **dict.fromkeys(ACTIVITY, commands.on_activity)},
)
