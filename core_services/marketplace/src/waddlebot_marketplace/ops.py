"""The marketplace's operations on Resources: one unit of work, then the invalidation.

Routes, chat commands and the router's library mode (decision 0053) all come through
here, so every change drops the router's cached table on every replica at once.
"""

from __future__ import annotations

from typing import Any

from flask_core.resources import Resources

from . import service


async def install(
    res: Resources,
    community_id: int,
    name: str,
    *,
    enabled: bool = True,
    settings: dict[str, Any] | None = None,
) -> service.Installation:
    done: service.Installation = await res.db.run(
        lambda d: service.install(d, community_id, name, enabled=enabled, settings=settings)
    )
    await res.cache.invalidate(service.config_key(community_id))
    return done


async def uninstall(res: Resources, community_id: int, name: str) -> bool:
    gone: bool = await res.db.run(service.uninstall, community_id, name)
    await res.cache.invalidate(service.config_key(community_id))
    return gone


async def install_defaults(res: Resources, community_id: int, modules: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = await res.db.run(service.install_defaults, community_id, modules)
    await res.cache.invalidate(service.config_key(community_id))
    return result


async def patch_command(
    res: Resources, community_id: int, path: str, values: dict[str, Any]
) -> dict[str, Any]:
    result: dict[str, Any] = await res.db.run(service.patch_command, community_id, path, values)
    await res.cache.invalidate(service.config_key(community_id))
    return result


async def config(res: Resources, community_id: int) -> dict[str, Any]:
    found: dict[str, Any] = await res.db.read(service.read_config, community_id)
    return found


async def store_manifests(res: Resources, manifests: dict[str, dict[str, Any]], urls: dict[str, str]) -> None:
    if await res.db.run(service.store_manifests, manifests, urls):
        await res.cache.invalidate(service.CATALOGUE_KEY)


async def catalogue(res: Resources) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = await res.db.read(service.catalogue)
    return found
