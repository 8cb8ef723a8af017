"""What the shoutout module offers the router: `!so` / `!shoutout` and the `raid` event (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "0.1.0"

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
)

SPEC = ModuleSpec(manifest=MANIFEST, commands={"so": service.so_command}, events={"raid": service.on_raid})
