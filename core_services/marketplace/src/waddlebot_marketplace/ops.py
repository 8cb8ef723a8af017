"""The marketplace's operations on Resources: one unit of work, then the invalidation.

Routes, chat commands and the router's library mode (decision 0053) all come through
here, so every change drops the router's cached table on every replica at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask_core.resources import Resources

from . import module_settings, service


async def install(
    res: Resources,
    community_id: int,
    name: str,
    *,
    enabled: bool | None = True,
    settings: dict[str, Any] | None = None,
) -> service.Installation:
    """Install, switch and (given `settings`) change settings: the settings are checked
    against the schema, then the install's checks run without writing, then the module
    takes the settings, and only then is the installation written — so a refused change
    (422, 409, the module down: 503) writes nothing here (decision 0078). `enabled=None`
    keeps the installation's state (a new one is enabled)."""
    if enabled is None:
        enabled = await res.db.read(service.is_enabled, community_id, name)
    if settings is not None:
        entry, _ = await res.db.read(lambda d: service.check_install(d, community_id, name, enabled=enabled))
        module_settings.validate(entry, settings)
        if module_settings.schema_of(entry):
            settings = await module_settings.write(res, name, entry, community_id, settings)
    done: service.Installation = await res.db.run(
        lambda d: service.install(d, community_id, name, enabled=enabled)
    )
    await res.cache.invalidate(service.config_key(community_id))
    return dataclasses.replace(done, settings=settings) if settings is not None else done


async def current_settings(res: Resources, community_id: int, name: str) -> dict[str, Any] | None:
    """The module's own settings here ({} without a schema; None when it did not answer)."""
    entry = (await catalogue(res)).get(name) or {}
    if not module_settings.schema_of(entry):
        return {}
    return await module_settings.read_or_none(res, name, entry, community_id)


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
