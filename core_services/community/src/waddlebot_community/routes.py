"""The community REST API (service token): thin handlers that validate, call ops, answer.

Every route under `/communities/{id}/…` answers that community's rows only: an entity or
member id of another community is a 404, as an unknown one is.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from flask_core import NotFound, require_service
from flask_core.app import resources, settings_of
from flask_core.openapi import NoContent, error_responses
from waddlebot_marketplace.paging import ListQuery, page_from, paginate

from . import ops, service
from .schemas import (
    CommunityList,
    CommunityOut,
    CommunityPatch,
    EntityList,
    EntityOut,
    LinkCodeOut,
    MemberList,
    MemberOut,
    MemberPatch,
    ResolveIn,
    ResolveOut,
    RoleOverrides,
    TimeZoneOut,
)

bp = Blueprint("community", __name__)

COMMUNITY = "/api/v1/communities/<int:community_id>"


def _key(item: dict[str, Any], field: str) -> Any:
    value = item.get(field)
    return (value is None, value if value is not None else 0)


@bp.post("/api/v1/communities:resolve")
@require_service
@validate_request(ResolveIn)
@validate_response(ResolveOut)
@error_responses(404, 503)
async def resolve(data: ResolveIn) -> Any:
    """The community of a platform server, provisioned with DEFAULT_MODULES on first sight
    (never for `web`, §12: 404 when unknown)."""
    provision = data.provision  # the router sends False for `web` events (§12)
    found = await ops.resolve(
        resources(), data.platform, data.server_id, data.owner.model_dump() if data.owner else None,
        provision=provision, default_modules=list(settings_of().default_modules),
    )  # fmt: skip
    if found is None:
        raise NotFound("no community for this server", details={"platform": data.platform})
    return {"community_id": found}


@bp.get("/api/v1/communities/by-platform/<platform>/<server_id>")
@require_service
@validate_response(ResolveOut)
@error_responses(404)
async def by_platform(platform: str, server_id: str) -> Any:
    found = await resources().db.read(service.find, platform, server_id)
    if found is None:
        raise NotFound("no community for this server yet", details={"platform": platform})
    return {"community_id": found}


@bp.get("/api/v1/communities")
@require_service
@validate_querystring(ListQuery)
@validate_response(CommunityList)
async def list_communities(query_args: ListQuery) -> Any:
    """Every community (the portal's admin list); `q` over name and platforms."""
    rows = await resources().db.read(service.all_communities)
    page = page_from(query_args, ("id", "name", "created_at"), "id")
    chunk, cursor = paginate(rows, page, _key, lambda i: f"{i['name']} {' '.join(i['platforms'])}")
    return {"items": chunk, "next_cursor": cursor}


@bp.get(COMMUNITY)
@require_service
@validate_response(CommunityOut)
@error_responses(404)
async def get_community(community_id: int) -> Any:
    return await resources().db.read(service.get, community_id)


@bp.patch(COMMUNITY)
@require_service
@validate_request(CommunityPatch)
@validate_response(CommunityOut)
@error_responses(404)
async def patch_community(community_id: int, data: CommunityPatch) -> Any:
    """Name and settings (prefix, IANA time zone, locale, default cooldowns); null = default."""
    values = data.settings.model_dump(exclude_unset=True)
    return await ops.patch(resources(), community_id, data.name, values)


@bp.get(f"{COMMUNITY}/time-zone")
@require_service
@validate_response(TimeZoneOut)
@error_responses(404)
async def time_zone(community_id: int) -> Any:
    """The community's IANA time zone and locale (calendar and memories read this)."""
    found = await ops.settings_of(resources(), community_id)
    return {"community_id": community_id, "time_zone": found["time_zone"], "locale": found["locale"]}


@bp.get(f"{COMMUNITY}/entities")
@require_service
@validate_querystring(ListQuery)
@validate_response(EntityList)
@error_responses(404)
async def list_entities(community_id: int, query_args: ListQuery) -> Any:
    rows = await resources().db.read(service.entities, community_id)
    page = page_from(query_args, ("id", "platform", "server_id", "created_at"), "id")
    chunk, cursor = paginate(rows, page, _key, lambda i: f"{i['platform']} {i['server_id']}")
    return {"items": chunk, "next_cursor": cursor}


@bp.post(f"{COMMUNITY}/entities/link-code")
@require_service
@validate_response(LinkCodeOut)
@error_responses(404)
async def link_code(community_id: int) -> Any:
    """What `!community code` gives, for the portal: a one-time code, shown once."""
    res = resources()
    await ops.settings_of(res, community_id)  # 404 for no such community
    code, ttl = await ops.issue_code(res, community_id, "portal")
    return {"code": code, "expires_in": ttl, "command": f"!community link {code}"}


@bp.get(f"{COMMUNITY}/entities/<int:entity_id>")
@require_service
@validate_response(EntityOut)
@error_responses(404)
async def get_entity(community_id: int, entity_id: int) -> Any:
    return await resources().db.read(service.entity, community_id, entity_id)


@bp.get(f"{COMMUNITY}/members")
@require_service
@validate_querystring(ListQuery)
@validate_response(MemberList)
@error_responses(404)
async def list_members(community_id: int, query_args: ListQuery) -> Any:
    rows = await resources().db.read(service.members, community_id)
    page = page_from(query_args, ("id", "username", "role", "last_seen"), "id")
    chunk, cursor = paginate(rows, page, _key, lambda i: f"{i['username']} {i['platform']}")
    return {"items": chunk, "next_cursor": cursor}


@bp.get(f"{COMMUNITY}/members/<int:member_id>")
@require_service
@validate_response(MemberOut)
@error_responses(404)
async def get_member(community_id: int, member_id: int) -> Any:
    return await resources().db.read(service.member, community_id, member_id)


@bp.patch(f"{COMMUNITY}/members/<int:member_id>")
@require_service
@validate_request(MemberPatch)
@validate_response(MemberOut)
@error_responses(404, 409)
async def patch_member(community_id: int, member_id: int, data: MemberPatch) -> Any:
    """Set a member's role here (wins over the platform's until set to null); the router
    uses it from the next command on. The broadcaster's role is a 409."""
    return await ops.set_role(resources(), community_id, member_id, data.role)


@bp.delete(f"{COMMUNITY}/members/<int:member_id>")
@require_service
@document_response(NoContent, 204)
@error_responses(404, 409)
async def delete_member(community_id: int, member_id: int) -> Response:
    """Forget a member and its override (their points, quotes and items stay where they are)."""
    await ops.remove_member(resources(), community_id, member_id)
    return Response("", status=204)


@bp.get(f"{COMMUNITY}/roles")
@require_service
@validate_response(RoleOverrides)
@error_responses(404)
async def role_overrides(community_id: int) -> Any:
    """The community's role overrides (the router reads this, cached)."""
    await resources().db.read(service.settings_of, community_id)  # 404 for no such community
    return {"community_id": community_id, "items": await ops.role_overrides(resources(), community_id)}
