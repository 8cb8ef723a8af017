"""How other services reach the marketplace (and the community service): over its API when
it is deployed, else its own code on the shared database (decision 0053).

"Deployed" has one meaning: mounted in this very process (`waddlebot run`, a test fleet
that includes it) or given a `<PREFIX>_URL` (the fleet, Kubernetes). A router started
without it (a partial test fleet, a router-only process) still runs, on the same tables,
through the owner's code — never through code of its own.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask_core.errors import DependencyUnavailable, ServiceError
from flask_core.resources import Resources

from . import ops, service


def deployed(res: Resources, prefix: str) -> bool:
    """True when `prefix` answers as a service (in this process or at its configured URL)."""
    return res.http.local_service(prefix) is not None or res.settings.configured_url(prefix) is not None


def raise_for(response: Any, what: str) -> Any:
    """The JSON body of a 2xx answer; the owner's error (same code and status) otherwise."""
    if response.status_code < 300:
        return response.json()
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        error = None
    if not isinstance(error, dict) or response.status_code >= 500:
        raise DependencyUnavailable(f"{what} is unavailable", details={"status": response.status_code})
    raise ServiceError(
        error.get("message", what), code=error.get("code"), status=response.status_code,
        details=error.get("details"),
    )  # fmt: skip


PREFIX = "marketplace"


async def _call(res: Resources, caller: str, method: str, path: str, body: Any = None) -> Any:
    response = await res.http.for_service(caller).call(
        PREFIX, method, f"/{PREFIX}/api/v1{path}", json=body, timeout=5.0
    )
    return raise_for(response, PREFIX)


async def config(res: Resources, caller: str, community_id: int) -> dict[str, Any]:
    if deployed(res, PREFIX):
        found: dict[str, Any] = await _call(res, caller, "GET", f"/communities/{community_id}/config")
        return found
    return await ops.config(res, community_id)


async def set_module(
    res: Resources,
    caller: str,
    community_id: int,
    name: str,
    enabled: bool,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if deployed(res, PREFIX):
        body: dict[str, Any] = {"enabled": enabled}
        if settings is not None:
            body["settings"] = settings
        path = f"/communities/{community_id}/modules/{quote(name, safe='')}"
        answer: dict[str, Any] = await _call(res, caller, "PUT", path, body)
        return answer
    return (await ops.install(res, community_id, name, enabled=enabled, settings=settings)).to_dict()


async def install_defaults(
    res: Resources, caller: str, community_id: int, modules: list[str]
) -> dict[str, Any]:
    if deployed(res, PREFIX):
        path = f"/communities/{community_id}/modules:install-defaults"
        answer: dict[str, Any] = await _call(res, caller, "POST", path, {"modules": modules})
        return answer
    return await ops.install_defaults(res, community_id, modules)


async def patch_command(
    res: Resources, caller: str, community_id: int, path: str, values: dict[str, Any]
) -> dict[str, Any]:
    if deployed(res, PREFIX):
        url = "/".join(quote(w, safe="") for w in path.split())
        answer: dict[str, Any] = await _call(
            res, caller, "PATCH", f"/communities/{community_id}/commands/{url}", values
        )
        return answer
    return await ops.patch_command(res, community_id, path, values)


async def catalogue(res: Resources, caller: str) -> dict[str, dict[str, Any]]:
    """name → {manifest, kind, base_url}; the router seeds its registry from it."""
    if deployed(res, PREFIX):
        answer = await _call(res, caller, "GET", "/catalogue")
        return {item["name"]: item for item in answer["items"]}
    return await ops.catalogue(res)


async def externals(res: Resources, caller: str) -> dict[str, dict[str, Any]]:
    """name → {manifest, base_url, secret} of the external modules (the router calls them)."""
    if deployed(res, PREFIX):
        answer = await _call(res, caller, "GET", "/externals")
        found: dict[str, dict[str, Any]] = answer["items"]
        return found
    rows: dict[str, dict[str, Any]] = await res.db.read(service.externals)
    return rows


async def store_manifests(res: Resources, manifests: dict[str, dict[str, Any]], urls: dict[str, str]) -> None:
    """Library mode only: the router records what it probed (the service probes for itself)."""
    if not deployed(res, PREFIX):
        await ops.store_manifests(res, manifests, urls)


CONFIG_KEY = service.config_key
