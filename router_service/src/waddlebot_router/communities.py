"""Communities keyed by (platform, server_id): provisioning and per-community config."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_core.database import is_integrity_error
from flask_core.errors import NotFound
from flask_core.events import Event
from flask_core.logging import get_logger
from flask_core.resources import Resources

from .settings import RouterSettings

log = get_logger(__name__)
COMMAND_FIELDS = ("role", "user_cooldown", "global_cooldown", "cost", "enabled", "cooldown_message")


def _community_key(platform: str, server_id: str) -> str:
    return f"router:community:{platform}:{server_id}"


def config_key(community_id: int) -> str:
    return f"router:config:{community_id}"


async def resolve_community(res: Resources, event: Event, default_modules: list[str], ttl: float) -> int:
    """The community of (platform, server_id), provisioned with DEFAULT_MODULES on first sight."""

    async def load() -> int:
        args = (event.platform, event.server_id, event, default_modules)
        try:
            return await res.db.run(_find_or_provision, *args)
        except Exception as exc:
            if not is_integrity_error(exc):
                raise
            return await res.db.run(_find_or_provision, *args)  # another replica won the race

    community_id: int = await res.cache.get_or_set(
        _community_key(event.platform, event.server_id), load, ttl=ttl, local=True
    )
    return community_id


def _find_or_provision(db: Any, platform: str, server_id: str, event: Event, modules: list[str]) -> int:
    query = (db.entities.platform == platform) & (db.entities.server_id == server_id)
    row = db(query).select(db.entities.community_id, limitby=(0, 1)).first()
    if row is not None:
        return int(row.community_id)
    now = datetime.now(UTC)
    owner = (
        event.user.platform_user_id
        if platform == "twitch" and event.user.platform_user_id == server_id
        else None
    )
    community_id = db.communities.insert(
        name=f"{platform}:{server_id}"[:200],  # the column holds 200; a server id may too
        owner_platform=platform if owner else None,
        owner_platform_user_id=owner,
        settings={},
        created_at=now,
    )
    db.entities.insert(
        community_id=community_id, platform=platform, server_id=server_id, settings={}, created_at=now
    )
    for module in modules:
        db.community_modules.insert(community_id=community_id, module=module, enabled=True, updated_at=now)
    log.info("router.community_provisioned", community_id=community_id, platform=platform, modules=modules)
    return int(community_id)


async def load_config(res: Resources, community_id: int, ttl: float) -> dict[str, Any]:
    """{"modules": [enabled names], "overrides": {path: {field: value}}}, cached locally."""

    async def load() -> dict[str, Any]:
        return await res.db.read(_read_config, community_id)

    config: dict[str, Any] = await res.cache.get_or_set(config_key(community_id), load, ttl=ttl, local=True)
    return config


#: Community settings the router reads, with their defaults.
COMMUNITY_DEFAULTS: dict[str, Any] = {"moderators_skip_limits": True}


def _read_config(db: Any, community_id: int) -> dict[str, Any]:
    community = db.communities(community_id)
    stored = (community.settings or {}) if community is not None else {}
    settings = {name: stored.get(name, default) for name, default in COMMUNITY_DEFAULTS.items()}
    modules = db(
        (db.community_modules.community_id == community_id) & (db.community_modules.enabled == True)  # noqa: E712
    ).select(db.community_modules.module)
    overrides: dict[str, dict[str, Any]] = {}
    for row in db(db.commands.community_id == community_id).select():
        values = {f: row[f] for f in COMMAND_FIELDS if row[f] is not None}
        overrides[row.path] = values
    return {"modules": sorted(r.module for r in modules), "overrides": overrides, "settings": settings}


async def set_settings(res: Resources, community_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Change some of the community's router settings; answers all of them."""
    settings: dict[str, Any] = await res.db.run(_set_settings, community_id, values)
    await res.cache.invalidate(config_key(community_id))
    return settings


def _set_settings(db: Any, community_id: int, values: dict[str, Any]) -> dict[str, Any]:
    community = db.communities(community_id)
    if community is None:
        raise NotFound("community not found", details={"community_id": community_id})
    stored = {**(community.settings or {}), **values}
    community.update_record(settings=stored)
    return {name: stored.get(name, default) for name, default in COMMUNITY_DEFAULTS.items()}


async def set_module(res: Resources, community_id: int, module: str, enabled: bool) -> None:
    await res.db.run(_set_module, community_id, module, enabled)
    await res.cache.invalidate(config_key(community_id))


def _set_module(db: Any, community_id: int, module: str, enabled: bool) -> None:
    if db.communities(community_id) is None:
        raise NotFound("community not found", details={"community_id": community_id})
    query = (db.community_modules.community_id == community_id) & (db.community_modules.module == module)
    db.community_modules.update_or_insert(
        query, community_id=community_id, module=module, enabled=enabled, updated_at=datetime.now(UTC)
    )


async def patch_command(
    res: Resources, community_id: int, path: str, module: str, values: dict[str, Any]
) -> None:
    await res.db.run(_patch_command, community_id, path, module, values)
    await res.cache.invalidate(config_key(community_id))


def _patch_command(db: Any, community_id: int, path: str, module: str, values: dict[str, Any]) -> None:
    if db.communities(community_id) is None:
        raise NotFound("community not found", details={"community_id": community_id})
    query = (db.commands.community_id == community_id) & (db.commands.path == path)
    db.commands.update_or_insert(
        query, community_id=community_id, path=path, module=module, updated_at=datetime.now(UTC), **values
    )


async def find_community(res: Resources, platform: str, server_id: str) -> int | None:
    """The community of (platform, server_id), or None when that server was never seen."""

    def find(db: Any) -> int | None:
        row = (
            db((db.entities.platform == platform) & (db.entities.server_id == server_id))
            .select(db.entities.community_id, limitby=(0, 1))
            .first()
        )
        return int(row.community_id) if row else None

    return await res.db.read(find)


async def ensure_demo_community(res: Resources, settings: RouterSettings) -> int:
    """The `web:demo` community `waddlebot chat` talks to by default (dev mode)."""
    demo = Event.model_validate(
        {
            "event_id": "web:demo-provisioning",
            "platform": "web",
            "server_id": "demo",
            "channel_id": "demo",
            "user": {"platform_user_id": "demo-owner", "username": "demo"},
        }
    )
    return await resolve_community(res, demo, settings.default_modules, settings.router_table_ttl)
