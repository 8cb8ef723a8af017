"""How the router reaches the community service: its API when deployed, else its code.

The rule of `waddlebot_marketplace.client.deployed` decides (decision 0053).
"""

from __future__ import annotations

from typing import Any

from flask_core.errors import ServiceError
from flask_core.events import Event
from flask_core.resources import Resources
from waddlebot_marketplace.client import deployed, raise_for

from . import ops, service

PREFIX = "community"
entity_key = service.entity_key
settings_key = service.settings_key
roles_key = service.roles_key
#: Roles an override never replaces (the platform's owner; the portal's admin).
KEPT = frozenset({"broadcaster", "admin"})


async def _call(res: Resources, caller: str, method: str, path: str, body: Any = None) -> Any:
    response = await res.http.for_service(caller).call(
        PREFIX, method, f"/{PREFIX}/api/v1{path}", json=body, timeout=5.0
    )
    return raise_for(response, PREFIX)


async def resolve(
    res: Resources,
    caller: str,
    platform: str,
    server_id: str,
    owner: dict[str, Any] | None,
    *,
    provision: bool,
    default_modules: list[str],
) -> int | None:
    """The community id of a platform server (None: unknown and not provisioned)."""
    if not deployed(res, PREFIX):
        return await ops.resolve(
            res, platform, server_id, owner, provision=provision, default_modules=default_modules
        )
    body = {"platform": platform, "server_id": server_id, "owner": owner, "provision": provision}
    try:
        answer = await _call(res, caller, "POST", "/communities:resolve", body)
    except ServiceError as exc:
        if exc.status == 404:
            return None
        raise
    return int(answer["community_id"])


async def settings(res: Resources, caller: str, community_id: int) -> dict[str, Any]:
    if not deployed(res, PREFIX):
        return await ops.settings_of(res, community_id)
    answer = await _call(res, caller, "GET", f"/communities/{community_id}")
    found: dict[str, Any] = answer["settings"]
    return found


async def patch_settings(
    res: Resources, caller: str, community_id: int, values: dict[str, Any]
) -> dict[str, Any]:
    if not deployed(res, PREFIX):
        changed: dict[str, Any] = (await ops.patch(res, community_id, None, values))["settings"]
        return changed
    answer = await _call(res, caller, "PATCH", f"/communities/{community_id}", {"settings": values})
    found: dict[str, Any] = answer["settings"]
    return found


async def find(res: Resources, caller: str, platform: str, server_id: str) -> int | None:
    return await resolve(res, caller, platform, server_id, None, provision=False, default_modules=[])


async def role_overrides(res: Resources, caller: str, community_id: int, ttl: float) -> dict[str, str]:
    """`{"<platform>:<platform_user_id>": role}` of the community, cached (dropped on every change)."""

    async def load() -> dict[str, str]:
        if not deployed(res, PREFIX):
            rows = await ops.role_overrides(res, community_id)
        else:
            rows = (await _call(res, caller, "GET", f"/communities/{community_id}/roles"))["items"]
        return {f"{r['platform']}:{r['platform_user_id']}": str(r["role"]) for r in rows}

    found: dict[str, str] = await res.cache.get_or_set(
        roles_key(community_id), load, ttl=ttl, local=True, shared=True
    )
    return found


async def with_role(res: Resources, caller: str, community_id: int, event: Event, ttl: float) -> Event:
    """The event with the asker's roles as this community set them in the portal (decision 0077):
    an override replaces the platform's roles, except the broadcaster's and an admin's."""
    overrides = await role_overrides(res, caller, community_id, ttl)
    role = overrides.get(f"{event.platform}:{event.user.platform_user_id}") if overrides else None
    if role is None or KEPT & set(event.user.roles):
        return event
    return event.model_copy(update={"user": event.user.model_copy(update={"roles": [role]})})
