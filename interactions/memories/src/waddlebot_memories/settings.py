"""Memories settings: the core names of ARCHITECTURE §2 plus this service's own."""

from __future__ import annotations

from flask_core.settings import CoreSettings


class MemoriesSettings(CoreSettings):
    """Settings of the memories service (MEMORIES_* on top of the core names).

    Reminders: `MEMORIES_TIMEZONE` is the time zone of `!remind … at 18:00` and of
    recurring reminders for every community, until the community service stores one
    per community (default UTC). Bookmarks: page titles are fetched with the SSRF guard
    of `flask_core.safe_fetch`; `MEMORIES_FETCH_ALLOWED_NETWORKS` (a JSON list of CIDRs)
    exempts networks from it and exists for tests only: the default allows none.
    """

    memories_timezone: str = "UTC"
    memories_scheduler_interval: float = 1.0
    memories_fetch_allowed_networks: list[str] = []
    memories_fetch_timeout: float = 3.0
