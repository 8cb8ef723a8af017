"""External modules' URLs go through the SSRF guard of decision 0042 (decision 0079).

`POST /marketplace/api/v1/modules` makes this server fetch a URL a caller chose, and the
router later calls it for every command: an address inside the fleet (the database,
Redis, cloud metadata, our own services) must never be one. The host is resolved once and
every address is checked with `flask_core.safe_fetch.address_allowed` (not global, private,
loopback, link-local, metadata …). ENV=dev and ENV=test allow inward addresses (a module
on 127.0.0.1 while developing); elsewhere only MARKETPLACE_EXTERNAL_ALLOWED_NETWORKS does.
"""

from __future__ import annotations

import ipaddress

import httpx

from flask_core.errors import ServiceError
from flask_core.safe_fetch import IPAddress, Resolver, address_allowed, parse_networks, system_resolve

from .settings import MarketplaceSettings


def _refused(reason: str, url: str) -> ServiceError:
    return ServiceError(
        "that module URL may not be used: it must lead to a public address",
        code="url_not_allowed",
        status=422,
        details={"url": url[:200], "reason": reason},
    )


async def check_url(url: str, settings: MarketplaceSettings, resolve: Resolver = system_resolve) -> None:
    """422 `url_not_allowed` unless every address `url`'s host resolves to may be called."""
    if settings.env in ("dev", "test"):
        return
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _refused("scheme", url)
    allowed = parse_networks(settings.marketplace_external_allowed_networks)
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(parsed.host)]
    except ValueError:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            found = await resolve(parsed.host, port)
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        except (OSError, ValueError):
            raise _refused("dns", url) from None
    if not addresses:
        raise _refused("dns", url)
    for address in addresses:
        if not address_allowed(address, allowed):
            raise _refused(f"address_not_public:{address}", url)
