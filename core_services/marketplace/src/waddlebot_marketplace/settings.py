"""Marketplace settings: the core names of ARCHITECTURE §2 plus this service's own (MARKETPLACE_*)."""

from __future__ import annotations

from pydantic import field_validator

from flask_core import CommaList, CoreSettings


class MarketplaceSettings(CoreSettings):
    """This service's own limits live here, never in CoreSettings."""

    #: Seconds between probes of the built-in modules' manifests (the catalogue).
    marketplace_manifest_interval: float = 60.0  # MARKETPLACE_MANIFEST_INTERVAL
    marketplace_manifest_timeout: float = 2.0  # MARKETPLACE_MANIFEST_TIMEOUT
    #: Seconds for one call to a module's own settings API (read or write, decision 0078).
    marketplace_settings_timeout: float = 3.0  # MARKETPLACE_SETTINGS_TIMEOUT
    #: Networks an external module's URL may resolve into although they are not public
    #: (comma-separated CIDRs, decision 0079). Outside ENV=dev|test nothing else inward is.
    marketplace_external_allowed_networks: CommaList = []

    @field_validator("marketplace_external_allowed_networks", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
