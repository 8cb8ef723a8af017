"""Memories settings: the core names of ARCHITECTURE §2 plus this service's own."""

from __future__ import annotations

from flask_core.settings import CoreSettings


class MemoriesSettings(CoreSettings):
    """Settings of the memories service (MEMORIES_* on top of the core names).

    Quotes need nothing beyond the core yet; bookmarks and reminders will add their
    fields here (fetch limits, scheduler interval).
    """
