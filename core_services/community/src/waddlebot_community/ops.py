"""The community's operations on Resources: units of work, provisioning, invalidations.

Routes, chat commands and the router's library mode (decision 0053) come through here.
"""

from __future__ import annotations

from typing import Any

from flask_core.app import settings_of as app_settings
from flask_core.database import is_integrity_error
from flask_core.resources import Resources
from waddlebot_marketplace import client as marketplace

from . import service
from .settings import CommunitySettings

CALLER = "community"


async def resolve(
    res: Resources,
    platform: str,
    server_id: str,
    owner: dict[str, Any] | None,
    *,
    provision: bool,
    default_modules: list[str],
) -> int | None:
    """The community of a platform server; provisioned with DEFAULT_MODULES when new.

    `provision=False` (events from `web`, §12) finds only. DEFAULT_MODULES are installed
    through the marketplace; when it cannot be reached the community stays unprovisioned
    and the next resolve tries again (the caller gets a 503 meanwhile).
    """
    if not provision:
        found: int | None = await res.db.read(service.find, platform, server_id)
        return found
    try:
        community_id, done = await res.db.run(service.provision, platform, server_id, owner)
    except Exception as exc:
        if not is_integrity_error(exc):
            raise
        community_id, done = await res.db.run(service.provision, platform, server_id, owner)  # lost the race
    if not done:
        await marketplace.install_defaults(res, CALLER, community_id, default_modules)
        await res.db.run(service.mark_provisioned, community_id)
    return community_id


async def patch(
    res: Resources, community_id: int, name: str | None, values: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = await res.db.run(service.patch, community_id, name, values)
    await res.cache.invalidate(service.settings_key(community_id))
    return out


async def settings_of(res: Resources, community_id: int) -> dict[str, Any]:
    found: dict[str, Any] = await res.db.read(service.settings_of, community_id)
    return found


async def link(res: Resources, code: str, platform: str, server_id: str) -> tuple[int, int | None]:
    moved: tuple[int, int | None] = await res.db.run(service.link, code, platform, server_id)
    # Every router drops its cached community of this server at once (pub/sub).
    await res.cache.invalidate(service.entity_key(platform, server_id))
    return moved


async def set_role(res: Resources, community_id: int, member_id: int, role: str | None) -> dict[str, Any]:
    out: dict[str, Any] = await res.db.run(service.set_role, community_id, member_id, role)
    await res.cache.invalidate(service.roles_key(community_id))  # every router, at once (pub/sub)
    return out


async def remove_member(res: Resources, community_id: int, member_id: int) -> None:
    await res.db.run(service.remove_member, community_id, member_id)
    await res.cache.invalidate(service.roles_key(community_id))


async def role_overrides(res: Resources, community_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await res.db.read(service.role_overrides, community_id)
    return found


def code_ttl(res: Resources) -> float:
    """COMMUNITY_CODE_TTL of the community app (in a single process the shared Resources
    hold the dispatcher's settings, so the app's own are looked up first)."""
    own = res.extras.get("community.settings")
    if isinstance(own, CommunitySettings):
        return own.community_code_ttl
    try:
        found = app_settings()
    except (RuntimeError, KeyError):
        return 600.0
    return found.community_code_ttl if isinstance(found, CommunitySettings) else 600.0


async def issue_code(res: Resources, community_id: int, who: str) -> tuple[str, float]:
    """A one-time link code for the community (single use) and its lifetime in seconds."""
    ttl = code_ttl(res)
    code: str = await res.db.run(service.issue_code, community_id, who, ttl)
    return code, ttl
