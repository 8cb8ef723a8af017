"""Shoutout settings: the core names of ARCHITECTURE §2 plus this service's own (SHOUTOUT_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class ShoutoutSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    shoutout_max_items: int = 100  # SHOUTOUT_MAX_ITEMS: items listed at most per answer
