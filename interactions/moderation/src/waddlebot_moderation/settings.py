"""Moderation settings: the core names of ARCHITECTURE §2 plus this service's own (MODERATION_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class ModerationSettings(CoreSettings):
    """This service's own limits live here, never in CoreSettings."""

    moderation_permit_seconds: float = 60.0  # MODERATION_PERMIT_SECONDS: how long `!permit` lasts
    moderation_pattern_timeout: float = 1.0  # MODERATION_PATTERN_TIMEOUT: the backtracking trial
    moderation_log_page: int = 100  # MODERATION_LOG_PAGE: log entries per page at most
