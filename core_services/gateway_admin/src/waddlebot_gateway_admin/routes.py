"""The gateway_admin REST API (service token): thin handlers that validate, call service.py, answer."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import validate_request, validate_response

from flask_core import NotFound, require_service
from flask_core.app import resources, settings_of

from . import service
from .schemas import ItemIn, ItemList, ItemOut
from .settings import GatewayAdminSettings

bp = Blueprint("gateway_admin", __name__)

ITEMS = "/api/v1/communities/<int:community_id>/items"
MAX_COMMUNITY_ID = 2**63 - 1  # the column is a bigint: larger ids cannot exist


def _check(community_id: int) -> None:
    if community_id > MAX_COMMUNITY_ID:
        raise NotFound("no such community")


def _max_items() -> int:
    settings = settings_of()
    return settings.gateway_admin_max_items if isinstance(settings, GatewayAdminSettings) else 100


@bp.get(ITEMS)
@require_service
@validate_response(ItemList)
async def list_items(community_id: int) -> ItemList:
    """The community's items, oldest first."""
    _check(community_id)
    items = await service.list_items(resources().db, community_id, limit=_max_items())
    return ItemList(items=[ItemOut.of(item) for item in items])


@bp.post(ITEMS)
@require_service
@validate_request(ItemIn)
@validate_response(ItemOut, 201)
async def add_item(community_id: int, data: ItemIn) -> tuple[ItemOut, int]:
    """Add an item to the community."""
    _check(community_id)
    item = await service.add_item(resources().db, community_id, data.name)
    return ItemOut.of(item), 201
