"""The marketplace REST API (service token): thin handlers that validate, call ops, answer.

Every route under `/communities/{id}/…` reads and writes that community's rows only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from quart import Blueprint
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from flask_core import NotFound, require_service
from flask_core.app import resources
from flask_core.auth import current_service, mint_service_token
from flask_core.errors import DependencyUnavailable, Forbidden, ServiceError
from flask_core.events import Manifest
from flask_core.openapi import NoContent, error_responses

from . import module_settings, ops, service
from .external_urls import check_url
from .paging import ListQuery, page_from, paginate
from .schemas import (
    CatalogueList,
    CommandItem,
    CommandList,
    CommandPatch,
    CommandPatched,
    ConfigOut,
    DefaultsIn,
    DefaultsOut,
    ExternalIn,
    ExternalOut,
    ExternalsOut,
    InstallationOut,
    ModuleIn,
    ModuleItem,
    ModuleList,
)
from .settings import MarketplaceSettings

bp = Blueprint("marketplace", __name__)

COMMUNITY = "/api/v1/communities/<int:community_id>"
MAX_COMMUNITY_ID = 2**63 - 1  # the column is a bigint: larger ids cannot exist


def _check(community_id: int) -> int:
    if not 1 <= community_id <= MAX_COMMUNITY_ID:
        raise NotFound("no such community", details={"community_id": community_id})
    return community_id


def _text(value: Any) -> Any:
    return (value is None, value if value is not None else 0)


@bp.get("/api/v1/catalogue")
@require_service
@validate_querystring(ListQuery)
@validate_response(CatalogueList)
async def catalogue(query_args: ListQuery) -> Any:
    """Every module in the catalogue with its manifest (`q` over name and description)."""
    found = await ops.catalogue(resources())
    items = [{"name": n, **e} for n, e in found.items()]
    page = page_from(query_args, ("name", "kind"), "name")
    chunk, cursor = paginate(
        items, page, lambda i, f: i[f], lambda i: f"{i['name']} {i['manifest'].get('description', '')}"
    )
    return {"items": chunk, "next_cursor": cursor}


@bp.post("/api/v1/modules")
@require_service
@validate_request(ExternalIn)
@validate_response(ExternalOut, 201)
@error_responses(409)
async def register_external(data: ExternalIn) -> Any:
    """Register an external module: its manifest is read from `{url}/{name}/api/v1/manifest`,
    signed with the module's own new secret (answered once)."""
    res = resources()
    service.check_external_name(data.name)
    url = str(data.url).rstrip("/")
    settings = res.settings
    await check_url(url, settings if isinstance(settings, MarketplaceSettings) else MarketplaceSettings())
    secret = service.new_secret()
    try:
        response = await res.http.for_service("marketplace").request(
            "GET", f"{url}/{data.name}/api/v1/manifest", timeout=5.0, retries=0,
            headers={"Authorization": f"Bearer {mint_service_token(secret, 'marketplace', data.name)}"},
            breaker_key=f"external:{data.name}",
        )  # fmt: skip
    except DependencyUnavailable:  # the caller's URL, not our outage: a 422
        raise ServiceError(
            "the module did not answer at that URL", code="bad_module", status=422, details={"url": url[:200]}
        ) from None
    if response.status_code != 200:
        raise ServiceError(
            "the module's manifest could not be read", code="bad_module", status=422,
            details={"status": response.status_code},
        )  # fmt: skip
    try:
        manifest = Manifest.model_validate(response.json()).model_dump(mode="json")
    except ValueError:
        raise ServiceError("the module's manifest is not valid", code="bad_module", status=422) from None
    await res.db.run(service.register_external, data.name, url, manifest, secret)
    await res.cache.invalidate(service.CATALOGUE_KEY)
    return {"name": data.name, "url": url, "secret": secret, "manifest": manifest}, 201


@bp.get("/api/v1/externals")
@require_service
@validate_response(ExternalsOut)
@error_responses(403)
async def externals() -> Any:
    """External modules with their base URL and signing secret: the router's only."""
    if current_service() != "router":
        raise Forbidden("only the router calls external modules")
    return {"items": await resources().db.read(service.externals)}


@bp.get(f"{COMMUNITY}/config")
@require_service
@validate_response(ConfigOut)
async def config(community_id: int) -> Any:
    """The router's read model of one community: enabled modules and command settings."""
    return await ops.config(resources(), _check(community_id))


async def _with_settings(community_id: int, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each item with its module's own settings (decision 0078), asked of every module at once."""
    res = resources()
    cat = await ops.catalogue(res)
    wanted = [(i["name"], cat.get(i["name"], {})) for i in items if i["settings_schema"]]
    answers = await module_settings.read_many(res, community_id, wanted)
    found = dict(zip([n for n, _ in wanted], answers, strict=True))
    return [{**i, "settings": found[i["name"]]} if i["name"] in found else i for i in items]


@bp.get(f"{COMMUNITY}/modules")
@require_service
@validate_querystring(ListQuery)
@validate_response(ModuleList)
async def list_modules(community_id: int, query_args: ListQuery) -> Any:
    """Every catalogue module for this community: installed or not, enabled, its settings
    (the module's own), their JSON Schema and what it conflicts with (`q` over name and
    description)."""
    rows = await resources().db.read(service.module_list, _check(community_id))
    page = page_from(query_args, ("name", "enabled", "installed", "kind", "updated_at"), "name")
    chunk, cursor = paginate(
        rows, page, lambda i, f: _text(i[f]), lambda i: f"{i['name']} {i['description']}"
    )
    return {"items": await _with_settings(community_id, chunk), "next_cursor": cursor}


@bp.get(f"{COMMUNITY}/modules/<name>")
@require_service
@validate_response(ModuleItem)
@error_responses(404)
async def get_module(community_id: int, name: str) -> Any:
    """One catalogue module as this community sees it (404: not in the catalogue, or core)."""
    rows = await resources().db.read(service.module_list, _check(community_id))
    found = next((r for r in rows if r["name"] == name), None)
    if found is None:
        raise NotFound("unknown module", details={"module": name})
    return (await _with_settings(community_id, [found]))[0]


@bp.put(f"{COMMUNITY}/modules/<name>")
@require_service
@validate_request(ModuleIn)
@validate_response(InstallationOut)
@error_responses(404, 409, 503)
async def put_module(community_id: int, name: str, data: ModuleIn) -> Any:
    """Install, enable or disable a module here; `settings` are checked against its schema
    (422 per field) and passed on to the module, which keeps them (decision 0078)."""
    res = resources()
    done = await ops.install(res, _check(community_id), name, enabled=data.enabled, settings=data.settings)
    if done.settings is None:
        done = dataclasses.replace(done, settings=await ops.current_settings(res, community_id, name))
    return done.to_dict()


@bp.delete(f"{COMMUNITY}/modules/<name>")
@require_service
@document_response(NoContent, 204)
@error_responses(404)
async def delete_module(community_id: int, name: str) -> Any:
    if not await ops.uninstall(resources(), _check(community_id), name):
        raise NotFound("that module is not installed here", details={"module": name})
    return "", 204


@bp.post(f"{COMMUNITY}/modules:install-defaults")
@require_service
@validate_request(DefaultsIn)
@validate_response(DefaultsOut)
async def install_defaults(community_id: int, data: DefaultsIn) -> Any:
    """DEFAULT_MODULES for a new community (the community service calls this), skipping conflicts."""
    return await ops.install_defaults(resources(), _check(community_id), data.modules)


@bp.get(f"{COMMUNITY}/commands")
@require_service
@validate_querystring(ListQuery)
@validate_response(CommandList)
async def list_commands(community_id: int, query_args: ListQuery) -> Any:
    rows = await resources().db.read(service.commands, _check(community_id))
    page = page_from(query_args, ("path", "module", "role", "cost"), "path")
    chunk, cursor = paginate(
        rows, page, lambda i, f: _text(i[f]), lambda i: f"{i['path']} {i['description']}"
    )
    return {"items": chunk, "next_cursor": cursor}


@bp.get(f"{COMMUNITY}/commands/<path:path>")
@require_service
@validate_response(CommandItem)
@error_responses(404)
async def get_command(community_id: int, path: str) -> Any:
    """One command as this community sees it (a path or an alias; `/` or space between words)."""
    rows = await resources().db.read(service.commands, _check(community_id))
    asked = " ".join(path.replace("/", " ").split()).lower()
    found = next((r for r in rows if r["path"] == asked or asked in r["aliases"]), None)
    if found is None:
        raise NotFound("unknown command", details={"path": asked})
    return found


@bp.patch(f"{COMMUNITY}/commands/<path:path>")
@require_service
@validate_request(CommandPatch)
@validate_response(CommandPatched)
@error_responses(404, 409)
async def patch_command(community_id: int, path: str, data: CommandPatch) -> Any:
    """A community's own role, cooldowns, cost or enabled for one command (null = default)."""
    values = data.model_dump(exclude_unset=True)
    return await ops.patch_command(resources(), _check(community_id), path, values)
