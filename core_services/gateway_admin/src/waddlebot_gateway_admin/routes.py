"""The gateway_admin REST API (service token): Kong consumers, keys, ACL groups, audit.

Callers name the person they act for in `X-Actor` (the portal: its signed-in user); the
audit keeps it beside the calling service. Without KONG_ADMIN_URL every route but the
audit answers 503 `dependency_unavailable` (`details.status = "disabled"`).
"""

from __future__ import annotations

from quart import Blueprint, request
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from flask_core import require_service
from flask_core.app import resources, settings_of
from flask_core.auth import current_service
from flask_core.openapi import NoContent, error_responses

from . import service
from .kong import Kong
from .schemas import (
    AuditPage,
    ConsumerIn,
    ConsumerOut,
    ConsumerPage,
    Groups,
    KeyIn,
    KeyList,
    NewKey,
    PageQuery,
    Verified,
    VerifyIn,
)
from .service import Actor
from .settings import GatewayAdminSettings

bp = Blueprint("gateway_admin", __name__)
API = "/api/v1"
CONSUMER = f"{API}/consumers/<consumer>"


def _settings() -> GatewayAdminSettings:
    settings = settings_of()
    assert isinstance(settings, GatewayAdminSettings)
    return settings


def _kong() -> Kong:
    return Kong(resources(), _settings())


def _actor() -> Actor:
    named = request.headers.get("X-Actor", "")[:200].strip() or None
    return Actor(service=current_service(), name=named)


@bp.get(f"{API}/consumers")
@require_service
@validate_querystring(PageQuery)
@validate_response(ConsumerPage)
async def list_consumers(query_args: PageQuery) -> ConsumerPage:
    """Kong's consumers, a page at a time (the cursor is Kong's `offset`)."""
    size = min(query_args.limit, _settings().gateway_admin_max_items)
    items, following = await service.list_consumers(_kong(), size, query_args.cursor)
    return ConsumerPage(items=[ConsumerOut.model_validate(i) for i in items], next_cursor=following)


@bp.post(f"{API}/consumers")
@require_service
@validate_request(ConsumerIn)
@validate_response(ConsumerOut, 201)
@error_responses(409)
async def create_consumer(data: ConsumerIn) -> tuple[ConsumerOut, int]:
    """A new consumer, in the given ACL groups."""
    created = await service.create_consumer(
        _kong(), resources().db, _actor(), data.username, data.custom_id, data.kind, data.groups
    )
    return ConsumerOut.model_validate(created), 201


@bp.get(CONSUMER)
@require_service
@validate_response(ConsumerOut)
async def get_consumer(consumer: str) -> ConsumerOut:
    """One consumer (by id or username) with its ACL groups."""
    kong = _kong()
    found = service.consumer_out(await service.get_consumer(kong, consumer))
    return ConsumerOut.model_validate({**found, "groups": await service.groups(kong, str(found["id"]))})


@bp.delete(CONSUMER)
@require_service
@document_response(NoContent, 204)
async def delete_consumer(consumer: str) -> tuple[str, int]:
    """Remove a consumer from Kong (its keys stop working at once)."""
    await service.delete_consumer(_kong(), resources().db, _actor(), consumer)
    return "", 204


@bp.put(f"{CONSUMER}/groups/<group>")
@require_service
@validate_response(Groups)
async def add_group(consumer: str, group: str) -> Groups:
    """Put the consumer in an ACL group (no change when it is already in it)."""
    kong = _kong()
    found = await service.get_consumer(kong, consumer)
    names = await service.set_group(kong, resources().db, _actor(), consumer, group[:100], True)
    return Groups(consumer_id=str(found["id"]), groups=names)


@bp.delete(f"{CONSUMER}/groups/<group>")
@require_service
@validate_response(Groups)
async def remove_group(consumer: str, group: str) -> Groups:
    """Take the consumer out of an ACL group."""
    kong = _kong()
    found = await service.get_consumer(kong, consumer)
    names = await service.set_group(kong, resources().db, _actor(), consumer, group[:100], False)
    return Groups(consumer_id=str(found["id"]), groups=names)


@bp.post(f"{CONSUMER}/keys")
@require_service
@validate_request(KeyIn)
@validate_response(NewKey, 201)
async def create_key(consumer: str, data: KeyIn) -> tuple[NewKey, int]:
    """A new key-auth key (`wbk_<id>.<secret>`): the answer is the only time it is shown."""
    key = await service.issue_key(
        _kong(), resources().db, _settings().pepper(), _actor(), consumer, data.label
    )
    return NewKey.model_validate(key), 201


@bp.get(f"{CONSUMER}/keys")
@require_service
@validate_response(KeyList)
async def list_keys(consumer: str) -> KeyList:
    """The consumer's keys, without their secrets."""
    rows = await service.list_keys(_kong(), resources().db, consumer)
    return KeyList.model_validate({"items": rows})


@bp.delete(f"{CONSUMER}/keys/<key_id>")
@require_service
@document_response(NoContent, 204)
async def revoke_key(consumer: str, key_id: str) -> tuple[str, int]:
    """Revoke a key: removed from Kong, kept here as revoked."""
    await service.revoke_key(_kong(), resources().db, _actor(), consumer, key_id[:32])
    return "", 204


@bp.post(f"{API}/keys/verify")
@require_service
@validate_request(VerifyIn)
@validate_response(Verified)
async def verify_key(data: VerifyIn) -> Verified:
    """Whether a key is one this service issued and has not revoked (by its stored HMAC)."""
    found = await service.verify_key(resources().db, _settings().pepper(), data.key)
    return Verified.model_validate({"valid": found is not None, "key": found})


@bp.get(f"{API}/audit")
@require_service
@validate_querystring(PageQuery)
@validate_response(AuditPage)
async def audit(query_args: PageQuery) -> AuditPage:
    """Every change made through this service, newest first."""
    raw = query_args.cursor
    cursor = int(raw) if raw and raw.isdigit() and len(raw) <= 18 else None
    items, following = await service.audit_page(resources().db, query_args.limit, cursor)
    return AuditPage.model_validate({"items": items, "next_cursor": following})
