"""Reputation settings: the core names of ARCHITECTURE §2 plus this service's own (REPUTATION_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class ReputationSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    reputation_max_items: int = 100  # REPUTATION_MAX_ITEMS: items listed at most per answer
