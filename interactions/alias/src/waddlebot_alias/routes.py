"""The alias REST API (service token): thin handlers that validate, call service.py, answer."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import validate_request, validate_response

from flask_core import NotFound, require_service
from flask_core.app import resources

from . import service
from .schemas import AliasList, AliasOut, ExpandIn, ExpansionOut

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
