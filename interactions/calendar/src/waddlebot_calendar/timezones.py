"""Whose time zone an event is in when `!event create` names none.

For now every community's zone is `CALENDAR_TIMEZONE` (default UTC), as memories does
with `MEMORIES_TIMEZONE` (decision 0043). When the community service exposes a zone per
community, only this function changes (decision 0058).
"""

from __future__ import annotations

from flask_core import Resources

from .settings import CalendarSettings


def community_timezone(res: Resources, community_id: int) -> str:
    """The IANA zone of community `community_id`."""
    settings = res.settings
    return settings.calendar_timezone if isinstance(settings, CalendarSettings) else "UTC"
