"""How the router reaches the community service: its API when deployed, else its code.

The rule of `waddlebot_marketplace.client.deployed` decides (decision 0053).
"""

from __future__ import annotations

from typing import Any

from flask_core.errors import ServiceError
from flask_core.resources import Resources
from waddlebot_marketplace.client import deployed, raise_for

from . import ops, service

PREFIX = "community"
entity_key = service.entity_key
settings_key = service.settings_key


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
