"""The shoutout REST API (service token): thin handlers that validate, call service.py, answer."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import validate_request, validate_response

from flask_core import NotFound, require_service
from flask_core.app import resources

from . import service
from .schemas import SettingsIn, SettingsOut

bp = Blueprint("shoutout", __name__)

SETTINGS = "/api/v1/communities/<int:community_id>/settings"
MAX_COMMUNITY_ID = 2**63 - 1  # the column is a bigint: larger ids cannot exist


def _check(community_id: int) -> None:
    if community_id > MAX_COMMUNITY_ID:
        raise NotFound("no such community")


@bp.get(SETTINGS)
@require_service
@validate_response(SettingsOut)
async def get_settings(community_id: int) -> SettingsOut:
    """The community's templates, raid toggle and per-target cooldown."""
    _check(community_id)
    return SettingsOut.of(await service.community_settings(resources(), community_id))


@bp.put(SETTINGS)
@require_service
@validate_request(SettingsIn)
@validate_response(SettingsOut)
async def put_settings(community_id: int, data: SettingsIn) -> SettingsOut:
    """Change some of them (fields left out stay)."""
    _check(community_id)
    values = data.model_dump(exclude_unset=True)
    return SettingsOut.of(await service.set_community_settings(resources(), community_id, values))
