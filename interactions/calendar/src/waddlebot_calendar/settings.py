"""Calendar settings: the core names of ARCHITECTURE §2 plus this service's own (CALENDAR_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class CalendarSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    calendar_max_items: int = 100  # CALENDAR_MAX_ITEMS: items listed at most per answer
