"""What the shoutout module offers the router: `!so` / `!shoutout` and the `raid` event (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "0.2.0"

#: The settings the modules screen edits (decision 0078): the same values as `PUT
#: /shoutout/api/v1/communities/{id}/settings`, which the marketplace passes them to.
TEMPLATE_HELP = "Filled in once, as plain text: $(user), $(game), $(title), $(url)."
SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "live_template": {
            "type": "string", "title": "Message when they are live", "minLength": 1, "maxLength": 400,
            "description": TEMPLATE_HELP,
        },
        "offline_template": {
            "type": "string", "title": "Message when they are offline", "minLength": 1, "maxLength": 400,
            "description": TEMPLATE_HELP,
        },
        "auto_raid": {
            "type": "boolean", "title": "Shout out raiders",
            "description": "Answer every raid with a shoutout for the raider.",
        },
        "cooldown": {
            "type": "number", "title": "Seconds between shoutouts of one channel", "minimum": 0,
            "maximum": 86400, "description": "0: no limit.",
        },
    },
    "additionalProperties": False,
}  # fmt: skip

MANIFEST = Manifest(
    name="shoutout",
    version=VERSION,
    description="Shoutouts for Twitch channels, also when someone raids",
    commands=[
        ManifestCommand(
            path="so",
            role="moderator",
            description="Shout out a Twitch channel.",
            usage="!so @user",
            aliases=["shoutout"],
        ),
    ],
    events=["raid"],
    settings_schema=SETTINGS_SCHEMA,
)

SPEC = ModuleSpec(manifest=MANIFEST, commands={"so": service.so_command}, events={"raid": service.on_raid})
