"""The reputation REST API (service token): charges, merges, weights, portal lists."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import validate_querystring, validate_request, validate_response

from flask_core import NotFound, ServiceError, require_service
from flask_core.app import resources

from . import service, weights
from .schemas import (
    ChargeIn,
    ChargeOut,
    Leaderboard,
    LeaderboardItem,
    LeaderboardQuery,
    Ledger,
    LedgerItem,
    LedgerQuery,
    MergeIn,
    MergeOut,
    RefundOut,
)
from .weights import Weights

bp = Blueprint("reputation", __name__)
COMMUNITY = "/api/v1/communities/<int:community_id>"
MAX_COMMUNITY_ID = 2**63 - 1


def _check(community_id: int) -> int:
    if not 0 < community_id <= MAX_COMMUNITY_ID:
        raise NotFound("no such community")
    return community_id


@bp.post(COMMUNITY + "/charges")
@require_service
@validate_request(ChargeIn)
@validate_response(ChargeOut)
async def charge(community_id: int, data: ChargeIn) -> ChargeOut:
    """Debit a command's cost once per charge_id; 409 `insufficient_points` when short."""
    done = await service.charge(
        resources().db, _check(community_id), data.charge_id, data.user_id, data.amount, data.reason
    )
    if done.state == "refused":
        raise ServiceError(
            "not enough points",
            code="insufficient_points",
            status=409,
            details={"balance": done.balance, "cost": done.amount},
        )
    return ChargeOut(charge_id=done.charge_id, balance=done.balance)


@bp.post(COMMUNITY + "/charges/<charge_id>:refund")
@require_service
@validate_response(RefundOut)
async def refund(community_id: int, charge_id: str) -> RefundOut:
    """Give a charge back (once; a repeat answers the same); 404 for an unknown charge."""
    done = await service.refund(resources().db, _check(community_id), charge_id[:200])
    if done is None:
        raise NotFound("no such charge", details={"charge_id": charge_id[:200]})
    balance = done.refund_balance if done.refund_balance is not None else done.balance
    return RefundOut(charge_id=done.charge_id, balance=balance)


@bp.post("/api/v1/users:merge")
@require_service
@validate_request(MergeIn)
@validate_response(MergeOut)
async def merge(data: MergeIn) -> MergeOut:
    """Identity merged two users: move balances and ledger ownership (one unit; idempotent)."""
    if data.from_user_id == data.into_user_id:
        raise ServiceError("a user cannot be merged into itself", code="validation_error", status=422)
    return MergeOut(merged=await service.merge(resources().db, data.from_user_id, data.into_user_id))


@bp.get(COMMUNITY + "/weights")
@require_service
@validate_response(Weights)
async def get_weights(community_id: int) -> Weights:
    """Points per activity in this community (the defaults until changed)."""
    return await weights.load(resources().db, _check(community_id))


@bp.put(COMMUNITY + "/weights")
@require_service
@validate_request(Weights)
@validate_response(Weights)
async def put_weights(community_id: int, data: Weights) -> Weights:
    """Replace the community's weights (every field; omitted ones take the default)."""
    return await weights.store(resources().db, _check(community_id), data)


@bp.get(COMMUNITY + "/leaderboard")
@require_service
@validate_querystring(LeaderboardQuery)
@validate_response(Leaderboard)
async def leaderboard(community_id: int, query_args: LeaderboardQuery) -> Leaderboard:
    """Balances, highest first (or by name); `q` filters names; the cursor is an offset."""
    offset = int(query_args.cursor or 0)
    items, more = await resources().db.read(
        service.leaderboard_page, _check(community_id), query_args.limit, offset, query_args.q or "",
        query_args.sort,
    )  # fmt: skip
    next_cursor = str(offset + query_args.limit) if more else None
    return Leaderboard(items=[LeaderboardItem(**i) for i in items], next_cursor=next_cursor)


@bp.get(COMMUNITY + "/ledger")
@require_service
@validate_querystring(LedgerQuery)
@validate_response(Ledger)
async def ledger(community_id: int, query_args: LedgerQuery) -> Ledger:
    """Ledger entries, newest first; `q` is a user id or a reason; the cursor is an entry id."""
    after = int(query_args.cursor) if query_args.cursor else None
    items, more = await resources().db.read(
        service.ledger_page, _check(community_id), query_args.limit, after, query_args.q or "",
        query_args.sort,
    )  # fmt: skip
    next_cursor = str(items[-1]["id"]) if more and items else None
    return Ledger(items=[LedgerItem(**i) for i in items], next_cursor=next_cursor)
