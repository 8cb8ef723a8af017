"""Reputation settings: the core names of ARCHITECTURE §2 plus this service's own (REPUTATION_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class ReputationSettings(CoreSettings):
    """Limits and the chat accrual window (seconds between flushes of the chat buffer)."""

    reputation_flush_interval: float = 10.0  # a crash loses at most this window of chat points
    reputation_max_amount: int = 1_000_000  # the largest amount one command may move
    reputation_top_max: int = 10
    reputation_resolve_ttl: float = 300.0
    reputation_giveaway_max_entries: int = 10_000
