"""Community settings: the core names of ARCHITECTURE §2 plus this service's own (COMMUNITY_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class CommunitySettings(CoreSettings):
    """This service's own limits live here, never in CoreSettings."""

    community_code_ttl: float = 600.0  # COMMUNITY_CODE_TTL: seconds a `!community code` lives
