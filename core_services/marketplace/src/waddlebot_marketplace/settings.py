"""Marketplace settings: the core names of ARCHITECTURE §2 plus this service's own (MARKETPLACE_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class MarketplaceSettings(CoreSettings):
    """This service's own limits live here, never in CoreSettings."""

    #: Seconds between probes of the built-in modules' manifests (the catalogue).
    marketplace_manifest_interval: float = 60.0  # MARKETPLACE_MANIFEST_INTERVAL
    marketplace_manifest_timeout: float = 2.0  # MARKETPLACE_MANIFEST_TIMEOUT
