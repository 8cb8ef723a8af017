"""Portal settings: the core names of ARCHITECTURE §2 plus this service's own (PORTAL_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class PortalSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    portal_max_items: int = 100  # PORTAL_MAX_ITEMS: items listed at most per answer
