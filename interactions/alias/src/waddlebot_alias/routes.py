"""The alias REST API (service token): thin handlers that validate, call service.py, answer."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response
from quart_schema import document_response, validate_request, validate_response

from flask_core import NotFound, ValidationFailed, require_service
from flask_core.app import resources
from flask_core.openapi import NoContent, error_responses

from . import service
from .schemas import AliasIn, AliasList, AliasOut, ExpandIn, ExpansionOut
from .settings import AliasSettings

bp = Blueprint("alias", __name__)

ALIASES = "/api/v1/communities/<int:community_id>/aliases"
MAX_COMMUNITY_ID = 2**63 - 1  # the column is a bigint: larger ids cannot exist


def _check(community_id: int) -> None:
    if community_id > MAX_COMMUNITY_ID:
        raise NotFound("no such community")


@bp.get(ALIASES)
@require_service
@validate_response(AliasList)
async def list_aliases(community_id: int) -> AliasList:
    """The community's aliases by name (the router caches this per community)."""
    _check(community_id)
    aliases = await service.list_aliases(resources().db, community_id)
    return AliasList(items=[AliasOut.of(a) for a in aliases])


@bp.post(ALIASES)
@require_service
@validate_request(AliasIn)
@validate_response(AliasOut, 201)
@error_responses(409, 422)
async def add_alias(community_id: int, data: AliasIn) -> tuple[AliasOut, int]:
    """Add an alias (the portal): the rules of `!alias add` (name, text, loops, limits)."""
    _check(community_id)
    if data.name.startswith("!"):
        raise ValidationFailed('write the name without "!"', details={"field": "name"})
    res = resources()
    who = str((data.created_by or {}).get("username") or "")
    settings = res.settings if isinstance(res.settings, AliasSettings) else None
    alias = await service.add_alias(
        res.db, community_id, data.name, data.text, role=data.role, cooldown=data.cooldown,
        created_by=who, settings=settings,
    )  # fmt: skip
    await res.cache.invalidate(service.cache_key(community_id))  # the router's cached list
    return AliasOut.of(alias), 201


@bp.get(f"{ALIASES}/<name>")
@require_service
@validate_response(AliasOut)
@error_responses(404)
async def get_alias(community_id: int, name: str) -> AliasOut:
    _check(community_id)
    alias = await service.get_alias(resources().db, community_id, name.lower())
    if alias is None:
        raise NotFound("no such alias", details={"name": name})
    return AliasOut.of(alias)


@bp.delete(f"{ALIASES}/<name>")
@require_service
@document_response(NoContent, 204)
@error_responses(404)
async def delete_alias(community_id: int, name: str) -> Any:
    """Remove an alias (as `!alias remove`); the router's cached list is dropped."""
    _check(community_id)
    res = resources()
    if not await service.remove_alias(res.db, community_id, name.lower()):
        raise NotFound("no such alias", details={"name": name})
    await res.cache.invalidate(service.cache_key(community_id))
    return Response("", status=204)


@bp.post(f"{ALIASES}/<name>:expand")
@require_service
@validate_request(ExpandIn)
@validate_response(ExpansionOut)
async def expand_alias(community_id: int, name: str, data: ExpandIn) -> ExpansionOut:
    """One use of an alias: its text with the caller's values ($(count) counts once per invocation)."""
    _check(community_id)
    expansion = await service.expand_alias(
        resources(), community_id, name.lower(), data.event, data.args, data.args_text, data.invocation_id
    )
    return ExpansionOut.of(expansion)
