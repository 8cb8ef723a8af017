"""The catalogue of built-in modules: their manifests, probed at start and every interval.

Only the service table's modules are probed (collectors serve none). A module that
cannot be reached keeps its last stored manifest; one that answers 404 keeps its row
too (installations refer to it) but is not refreshed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import ValidationError

from flask_core import service_table
from flask_core.errors import DependencyUnavailable
from flask_core.events import Manifest
from flask_core.logging import get_logger
from flask_core.resources import Resources

from . import ops
from .settings import MarketplaceSettings

log = get_logger(__name__)
PREFIX = "marketplace"


async def _probe(res: Resources, settings: MarketplaceSettings, prefix: str) -> dict[str, Any] | None:
    url = f"{settings.service_url(prefix)}/{prefix}/api/v1/manifest"
    try:
        response = await res.http.for_service(PREFIX).request(
            "GET", url, audience=prefix, timeout=settings.marketplace_manifest_timeout, retries=0,
            breaker_key=f"{prefix}:manifest",
        )  # fmt: skip
    except DependencyUnavailable:
        return None
    if response.status_code != 200:
        return None
    try:
        return Manifest.model_validate(response.json()).model_dump(mode="json")
    except (ValidationError, ValueError):
        log.warning("marketplace.manifest_invalid", module=prefix)
        return None


async def refresh(res: Resources, settings: MarketplaceSettings) -> list[str]:
    """Probe every table module once; store what answered. The names that answered."""
    prefixes = [s.prefix for s in service_table.modules() if s.prefix != "router"]
    found = await asyncio.gather(*(_probe(res, settings, p) for p in prefixes))
    manifests = {p: m for p, m in zip(prefixes, found, strict=True) if m is not None}
    await ops.store_manifests(res, manifests, {p: settings.service_url(p) for p in manifests})
    return sorted(manifests)


async def run_forever(res: Resources, settings: MarketplaceSettings) -> None:
    while True:
        try:
            await refresh(res, settings)
        except Exception:
            log.exception("marketplace.catalogue_refresh_failed")
        await asyncio.sleep(settings.marketplace_manifest_interval)
