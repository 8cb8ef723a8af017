"""Alias settings: the core names of ARCHITECTURE §2 plus this service's own (ALIAS_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class AliasSettings(CoreSettings):
    """This service's own limits live here, never in CoreSettings."""

    alias_max_per_community: int = 500  # ALIAS_MAX_PER_COMMUNITY
    alias_max_length: int = 400  # ALIAS_MAX_LENGTH: characters of an alias's text
