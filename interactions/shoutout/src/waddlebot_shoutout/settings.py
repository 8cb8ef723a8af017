"""Shoutout settings: the core names of ARCHITECTURE §2 plus this service's own (SHOUTOUT_*)."""

from __future__ import annotations

from flask_core import CoreSettings

DEFAULT_LIVE = "Go check out $(user) at $(url) - live now with $(game): $(title)"
DEFAULT_OFFLINE = "Go check out $(user) at $(url) - last seen playing $(game)!"


class ShoutoutSettings(CoreSettings):
    """This service's own defaults live here, never in CoreSettings."""

    shoutout_cooldown: float = 3600.0  # SHOUTOUT_COOLDOWN: seconds per target per community
    shoutout_live_template: str = DEFAULT_LIVE
    shoutout_offline_template: str = DEFAULT_OFFLINE
