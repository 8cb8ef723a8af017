"""What the moderation module offers the router: its commands, roles and handlers (§4.6).

The filters themselves run in the router, against a cached copy of the rules (§12).
"""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "0.1.0"

MANIFEST = Manifest(
    name="moderation",
    version=VERSION,
    description="Spam protection for the chat",
    commands=[
        ManifestCommand(
            path="filter",
            role="moderator",
            description="Turn a filter on or off.",
            usage="!filter <links|caps|symbols|repetition|length|emotes|words> on|off",
        ),
        ManifestCommand(
            path="filter words add",
            role="moderator",
            description="Ban a word.",
            usage="!filter words add <word>",
        ),
        ManifestCommand(
            path="filter words remove",
            role="moderator",
            description="Allow a banned word again.",
            usage="!filter words remove <word>",
        ),
        ManifestCommand(
            path="permit",
            role="moderator",
            description="Let a user post one link for a minute.",
            usage="!permit @user",
        ),
    ],
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={
        "filter": service.filter_command,
        "filter words add": service.words_add_command,
        "filter words remove": service.words_remove_command,
        "permit": service.permit_command,
    },
)
