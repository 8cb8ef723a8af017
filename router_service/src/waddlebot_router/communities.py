"""Communities keyed by (platform, server_id) and their configuration: a cached read model.

The community service owns communities and entities, the marketplace owns installations
and command settings (decision 0053). The router asks them on a cache miss and keeps the
answers in the shared cache (local layer included); the owners invalidate the same keys
on every change, so each replica drops its copy at once (pub/sub):

- `community:entity:{platform}:{server_id}` → community id (dropped on `!community link`)
- `community:settings:{id}` → the community's settings (prefix, cooldowns, …)
- `marketplace:config:{id}` → enabled modules and per-community command settings
- `community:roles:{id}` → roles set in the portal, applied to each command's asker (0077)

When an owner is not deployed beside the router, its own code runs on the shared tables
(`waddlebot_marketplace.client.deployed`).
"""

from __future__ import annotations

from typing import Any

from flask_core.errors import NotFound
from flask_core.events import Event
from flask_core.logging import get_logger
from flask_core.resources import Resources
from waddlebot_community import client as community
from waddlebot_marketplace import client as marketplace

from .settings import RouterSettings

log = get_logger(__name__)
CALLER = "router"
DEMO_SERVER = "demo"
COMMAND_FIELDS = ("role", "user_cooldown", "global_cooldown", "cost", "enabled", "cooldown_message")


class _Unknown(Exception):
    """A `web` server without a community: not cached, answered `ignored`."""


def config_key(community_id: int) -> str:
    """The marketplace's key for this community's table (it invalidates it)."""
    return marketplace.CONFIG_KEY(community_id)


async def resolve_community(
    res: Resources, event: Event, default_modules: list[str], ttl: float, *, provision: bool | None = None
) -> int | None:
    """The community of (platform, server_id), provisioned with DEFAULT_MODULES on first sight.

    Events from `web` never provision (§12): they name a known server, or carry the
    community id in the trusted `metadata.community_id` (the portal's simulator; events
    need a service token). None when there is no such community.
    """
    if event.platform == "web":
        trusted = event.metadata.get("community_id")
        if isinstance(trusted, int) and not isinstance(trusted, bool):
            try:
                await community_settings(res, trusted, ttl)
            except NotFound:
                return None
            return trusted
    wanted = event.platform != "web" if provision is None else provision
    owner = {"platform_user_id": event.user.platform_user_id, "username": event.user.username}

    async def load() -> int:
        found = await community.resolve(
            res,
            CALLER,
            event.platform,
            event.server_id,
            owner,
            provision=wanted,
            default_modules=default_modules,
        )
        if found is None:
            raise _Unknown
        return found

    try:
        community_id: int = await res.cache.get_or_set(
            community.entity_key(event.platform, event.server_id), load, ttl=ttl, local=True, shared=True
        )
    except _Unknown:
        return None
    return community_id


async def community_settings(res: Resources, community_id: int, ttl: float) -> dict[str, Any]:
    """The community's settings (NotFound for an unknown id), cached."""

    async def load() -> dict[str, Any]:
        return await community.settings(res, CALLER, community_id)

    found: dict[str, Any] = await res.cache.get_or_set(
        community.settings_key(community_id), load, ttl=ttl, local=True, shared=True
    )
    return found


async def load_config(res: Resources, community_id: int, ttl: float) -> dict[str, Any]:
    """{"modules": [enabled], "overrides": {path: {field: value}}, "settings": {…}}, cached.

    Read on every event: the parts are decoded once per change and shared (read-only).
    """

    async def load() -> dict[str, Any]:
        return await marketplace.config(res, CALLER, community_id)

    table: dict[str, Any] = await res.cache.get_or_set(
        config_key(community_id), load, ttl=ttl, local=True, shared=True
    )
    settings = await community_settings(res, community_id, ttl)
    return {"modules": table["modules"], "overrides": table["overrides"], "settings": settings}


async def with_portal_roles(res: Resources, community_id: int, event: Event, ttl: float) -> Event:
    """The event with the roles the portal set for its asker (`community:roles:{id}`, cached)."""
    return await community.with_role(res, CALLER, community_id, event, ttl)


async def set_settings(res: Resources, community_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Change some of the community's settings (the community service owns them)."""
    found: dict[str, Any] = await community.patch_settings(res, CALLER, community_id, values)
    await res.cache.invalidate(community.settings_key(community_id))
    return found


async def _known(res: Resources, community_id: int) -> None:
    await community_settings(res, community_id, 5.0)  # NotFound for another or no community


async def set_module(res: Resources, community_id: int, module: str, enabled: bool) -> None:
    await _known(res, community_id)
    await marketplace.set_module(res, CALLER, community_id, module, enabled)


async def patch_command(
    res: Resources, community_id: int, path: str, values: dict[str, Any]
) -> dict[str, Any]:
    await _known(res, community_id)
    return await marketplace.patch_command(res, CALLER, community_id, path, values)


async def find_community(res: Resources, platform: str, server_id: str) -> int | None:
    """The community of (platform, server_id), or None when that server was never seen."""
    return await community.find(res, CALLER, platform, server_id)


async def ensure_demo_community(res: Resources, settings: RouterSettings) -> int | None:
    """The `web:demo` community `waddlebot chat` talks to by default (dev mode only)."""
    demo = Event.model_validate(
        {
            "event_id": "web:demo-provisioning",
            "platform": "web",
            "server_id": DEMO_SERVER,
            "channel_id": DEMO_SERVER,
            "user": {"platform_user_id": "demo-owner", "username": "demo"},
        }
    )
    return await resolve_community(
        res, demo, settings.default_modules, settings.router_table_ttl, provision=True
    )
