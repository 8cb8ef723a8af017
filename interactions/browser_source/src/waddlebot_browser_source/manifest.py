"""What the browser_source module offers the router: `!overlay` and the alert events (§4.6)."""

from __future__ import annotations

from flask_core import Manifest, ManifestCommand, ModuleSpec

from . import service

VERSION = "1.0.0"

MANIFEST = Manifest(
    name="browser_source",
    version=VERSION,
    description="OBS overlays pushed live: alerts, now playing, chat.",
    commands=[
        ManifestCommand(
            path="overlay",
            description="Sends you the overlay URLs for OBS privately.",
            usage="!overlay",
            role="moderator",
        ),
    ],
    events=sorted(service.ALERTS),
)

SPEC = ModuleSpec(
    manifest=MANIFEST,
    commands={"overlay": service.overlay_command},
    events={event: service.on_alert_event for event in service.ALERTS},
)
