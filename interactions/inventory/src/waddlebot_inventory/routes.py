"""The inventory REST API (service token), for the portal: §12 lists and writes that answer
the new state. Ids of another community are 404."""

from __future__ import annotations

from datetime import UTC, datetime

from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from flask_core import Conflict, NotFound, ValidationFailed, require_service
from flask_core.app import resources
from flask_core.auth import current_service
from flask_core.openapi import NoContent, error_responses
from flask_core.pagination import next_cursor, offset_of

from . import edits, service
from .schemas import (
    AuditOut,
    AuditPage,
    AuditQuery,
    CheckoutOut,
    CheckoutPage,
    CheckoutQuery,
    DeleteQuery,
    HoldingOut,
    HoldingPage,
    HoldingQuery,
    ItemIn,
    ItemOut,
    ItemPage,
    ItemPatch,
    ItemQuery,
    StockIn,
)

bp = Blueprint("inventory", __name__)

BASE = "/api/v1/communities/<int:community_id>"
MAX_ID = 2**63 - 1


def _check(*ids: int) -> None:
    if any(not 0 < i <= MAX_ID for i in ids):
        raise NotFound("not found")


def _actor() -> str:
    return f"service:{current_service() or 'unknown'}"


@bp.get(BASE + "/items")
@require_service
@validate_querystring(ItemQuery)
@validate_response(ItemPage)
async def list_items(community_id: int, query_args: ItemQuery) -> ItemPage:
    """The community's items (the stock), by name, quantity or creation; `q` matches names."""
    _check(community_id)
    offset = offset_of(query_args.cursor)
    found, more = await service.items(
        resources().db, community_id, q=query_args.q or "", sort=query_args.sort, offset=offset,
        limit=query_args.limit,
    )  # fmt: skip
    return ItemPage(items=[ItemOut.of(i) for i in found], next_cursor=next_cursor(offset, len(found), more))


@bp.post(BASE + "/items")
@require_service
@validate_request(ItemIn)
@validate_response(ItemOut, 201)
@error_responses(409)
async def add_item(community_id: int, data: ItemIn) -> tuple[ItemOut, int]:
    """Add to the stock (the item is created when new); answers the item."""
    _check(community_id)
    try:
        change = await service.add(resources().db, community_id, data.name, data.qty, _actor())
    except service.Refused as exc:
        raise Conflict(str(exc)) from exc
    return ItemOut.of(change.item), 201


@bp.get(BASE + "/items/<int:item_id>")
@require_service
@validate_response(ItemOut)
async def get_item(community_id: int, item_id: int) -> ItemOut:
    _check(community_id, item_id)
    item = await service.get_item(resources().db, community_id, item_id)
    if item is None:
        raise NotFound("no such item", details={"item_id": item_id})
    return ItemOut.of(item)


@bp.patch(BASE + "/items/<int:item_id>")
@require_service
@validate_request(ItemPatch)
@validate_response(ItemOut)
@error_responses(404, 409)
async def update_item(community_id: int, item_id: int, data: ItemPatch) -> ItemOut:
    """Rename and/or describe an item (audited); answers the item."""
    _check(community_id, item_id)
    sent = data.model_fields_set
    name = data.name if "name" in sent and data.name is not None else edits.UNSET
    description = data.description if "description" in sent else edits.UNSET
    try:
        item = await edits.update(
            resources().db, community_id, item_id, _actor(), name=name, description=description
        )
    except edits.Gone:
        raise NotFound("no such item", details={"item_id": item_id}) from None
    except edits.NameTaken as exc:
        raise Conflict(str(exc), code="name_taken", details={"name": data.name}) from exc
    except service.Refused as exc:
        message = str(exc)
        raise ValidationFailed(
            message, details={"errors": [{"loc": ["name"], "msg": message, "type": "value_error"}]}
        ) from exc
    return ItemOut.of(item)


@bp.delete(BASE + "/items/<int:item_id>")
@require_service
@validate_querystring(DeleteQuery)
@document_response(NoContent, 204)
@error_responses(404, 409)
async def delete_item(community_id: int, item_id: int, query_args: DeleteQuery) -> Response:
    """Delete an item; one someone holds is a 409 `item_held` naming them, unless `force=true`."""
    _check(community_id, item_id)
    try:
        await edits.delete(resources().db, community_id, item_id, _actor(), force=query_args.force)
    except edits.Gone:
        raise NotFound("no such item", details={"item_id": item_id}) from None
    except edits.Held as exc:
        holders = [
            {"holder": h.holder, "holder_name": h.holder_name, "qty": h.qty, "checked_out": h.checked_out}
            for h in exc.holders
        ]
        raise Conflict(str(exc), code="item_held", details={"holders": holders}) from exc
    return Response("", status=204)


@bp.post(BASE + "/items/<int:item_id>/stock")
@require_service
@validate_request(StockIn)
@validate_response(ItemOut)
@error_responses(409)
async def adjust_stock(community_id: int, item_id: int, data: StockIn) -> ItemOut:
    """Change the stock by `delta` (audited); one that would go below zero is a 409."""
    _check(community_id, item_id)
    try:
        change = await service.adjust(resources().db, community_id, item_id, data.delta, _actor())
    except service.Refused as exc:
        raise Conflict(str(exc), code="insufficient_stock") from exc
    if change is None:
        raise NotFound("no such item", details={"item_id": item_id})
    return ItemOut.of(change.item)


@bp.get(BASE + "/holdings")
@require_service
@validate_querystring(HoldingQuery)
@validate_response(HoldingPage)
async def list_holdings(community_id: int, query_args: HoldingQuery) -> HoldingPage:
    """Who holds what (given items), by holder; `holder` is `<platform>:<login>`."""
    _check(community_id)
    offset = offset_of(query_args.cursor)
    found, more = await service.holdings(
        resources().db, community_id, holder=query_args.holder, q=query_args.q or "", offset=offset,
        limit=query_args.limit,
    )  # fmt: skip
    return HoldingPage(
        items=[HoldingOut.of(h) for h in found], next_cursor=next_cursor(offset, len(found), more)
    )


@bp.get(BASE + "/checkouts")
@require_service
@validate_querystring(CheckoutQuery)
@validate_response(CheckoutPage)
async def list_checkouts(community_id: int, query_args: CheckoutQuery) -> CheckoutPage:
    """Loans, soonest due first: `state` open (default), overdue or all."""
    _check(community_id)
    offset = offset_of(query_args.cursor)
    now = datetime.now(UTC)
    found, more = await service.checkouts(
        resources().db, community_id, open_only=query_args.state != "all",
        overdue_at=now if query_args.state == "overdue" else None, offset=offset, limit=query_args.limit,
    )  # fmt: skip
    if query_args.q:
        needle = query_args.q.casefold()
        found = [c for c in found if needle in c.item_name.casefold() or needle in c.holder_name.casefold()]
    return CheckoutPage(
        items=[CheckoutOut.of(c, now) for c in found], next_cursor=next_cursor(offset, len(found), more)
    )


@bp.get(BASE + "/audit")
@require_service
@validate_querystring(AuditQuery)
@validate_response(AuditPage)
async def list_audit(community_id: int, query_args: AuditQuery) -> AuditPage:
    """The audit trail, newest first: who changed what, the stock before and after, when."""
    _check(community_id)
    offset = offset_of(query_args.cursor)
    found, more = await service.audit(
        resources().db, community_id, q=query_args.q or "", descending=query_args.sort == "-created_at",
        offset=offset, limit=query_args.limit,
    )  # fmt: skip
    return AuditPage(items=[AuditOut.of(a) for a in found], next_cursor=next_cursor(offset, len(found), more))
