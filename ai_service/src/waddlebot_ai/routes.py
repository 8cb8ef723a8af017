"""The AI's internal REST API (service token): per-community settings and key usage.

The tenant is the community id of the path, never the body (which has no id field and
refuses unknown fields), so a call for community A can never read or change B.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import validate_request, validate_response

from flask_core import NotFound, require_service
from flask_core.app import resources, settings_of

from . import communities, keys
from .communities import GREETING_TYPES, CommunityAi
from .schemas import CommunitySettingsIn, CommunitySettingsOut, KeyUsage
from .settings import AiSettings

bp = Blueprint("ai", __name__)
SETTINGS = "/api/v1/communities/<int:community_id>/settings"
MAX_COMMUNITY_ID = 2**63 - 1  # the column is a bigint: larger ids cannot exist


def _check(community_id: int) -> None:
    if community_id < 1 or community_id > MAX_COMMUNITY_ID:
        raise NotFound("no such community")


def _out(found: CommunityAi) -> dict[str, Any]:
    settings = settings_of()
    assert isinstance(settings, AiSettings)
    return {
        **found.to_dict(),
        "greetings": {t: found.greets(t) for t in GREETING_TYPES},
        "effective": {"provider": found.provider_name(settings), "model": found.model_name(settings)},
    }


@bp.get(SETTINGS)
@require_service
@validate_response(CommunitySettingsOut)
async def get_settings(community_id: int) -> Any:
    """The community's AI settings and what it effectively uses."""
    _check(community_id)
    return _out(await communities.load(resources(), community_id))


@bp.put(SETTINGS)
@require_service
@validate_request(CommunitySettingsIn)
@validate_response(CommunitySettingsOut)
async def put_settings(community_id: int, data: CommunitySettingsIn) -> Any:
    """Change the fields given (`null` returns a field to the service's default)."""
    _check(community_id)
    changes = data.model_dump(exclude_unset=True)
    if "greetings" in changes and changes["greetings"] is not None:
        changes["greetings"] = {k: v for k, v in changes["greetings"].items() if v is not None}
    return _out(await communities.save(resources(), community_id, changes))


@bp.get("/api/v1/keys/<key_id>/usage")
@require_service
@validate_response(KeyUsage)
async def key_usage(key_id: str) -> Any:
    """Requests and tokens counted for one user API key on `/ai/v1`."""
    found = await resources().db.read(keys.read_usage, key_id[:128])
    if found is None:
        raise NotFound("no usage for this key", details={"key_id": key_id[:128]})
    return found
