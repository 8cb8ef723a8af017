"""Timers settings: the core names of ARCHITECTURE §2 plus this service's own (TIMERS_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class TimersSettings(CoreSettings):
    """This service's own limits live here, never in CoreSettings.

    `TIMERS_MAX_PER_COMMUNITY` timers per community (default 50);
    `TIMERS_SCHEDULER_INTERVAL` seconds between looks for due ticks (default 1).
    """

    timers_max_per_community: int = 50
    timers_scheduler_interval: float = 1.0
