"""Alias settings: the core names of ARCHITECTURE §2 plus this service's own (ALIAS_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class AliasSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    alias_max_items: int = 100  # ALIAS_MAX_ITEMS: items listed at most per answer
