"""Internal REST API for quotes (service token), used by the portal: thin handlers only."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from flask_core.app import resources
from flask_core.auth import current_service, require_service
from flask_core.errors import NotFound
from flask_core.openapi import NoContent

from . import service
from .models import Creator
from .schemas import QuoteIn, QuoteList, QuoteOut, QuoteQuery

bp = Blueprint("memories", __name__)

QUOTES = "/api/v1/communities/<int:community_id>/quotes"
QUOTE = QUOTES + "/<int:number>"
# The columns are bigint and integer: larger ids cannot exist. (Checked here rather than
# with converter bounds, which make Werkzeug answer 405 instead of 404 for DELETE.)
MAX_COMMUNITY_ID = 2**63 - 1
MAX_NUMBER = 2**31 - 1


def _caller() -> str:
    return current_service() or "unknown"


def _check_ids(community_id: int, number: int | None = None) -> None:
    if community_id > MAX_COMMUNITY_ID or (number is not None and not 0 < number <= MAX_NUMBER):
        raise NotFound("no such quote")


@bp.get(QUOTES)
@require_service
@validate_querystring(QuoteQuery)
@validate_response(QuoteList)
async def list_quotes(community_id: int, query_args: QuoteQuery) -> QuoteList:
    """Quotes of a community, newest first; `q` keeps those containing every word."""
    _check_ids(community_id)
    page = await service.find_quotes(
        resources().db,
        community_id,
        query_args.q or "",
        limit=query_args.limit,
        offset=query_args.start,
        newest_first=query_args.sort == "-number",
    )
    following = query_args.start + len(page.items)
    return QuoteList(
        items=[QuoteOut.of(quote) for quote in page.items],
        total=page.total,
        limit=query_args.limit,
        offset=query_args.start,
        next_cursor=str(following) if following < page.total and page.items else None,
    )


@bp.post(QUOTES)
@require_service
@validate_request(QuoteIn)
@validate_response(QuoteOut, 201)
async def create_quote(community_id: int, data: QuoteIn) -> tuple[QuoteOut, int]:
    """Add a quote under the community's next number."""
    _check_ids(community_id)
    caller = _caller()
    creator = data.created_by.to_creator() if data.created_by else Creator("service", caller, caller)
    draft = service.make_draft(data.text, data.author or "", data.game or "", creator)
    quote = await service.add_quote(resources().db, resources().cache, community_id, draft)
    return QuoteOut.of(quote), 201


@bp.get(QUOTE)
@require_service
@validate_response(QuoteOut)
async def get_quote(community_id: int, number: int) -> QuoteOut:
    """One quote by its number."""
    _check_ids(community_id, number)
    quote = await service.get_quote(resources().db, community_id, number)
    if quote is None:
        raise NotFound("no such quote", details={"number": number})
    return QuoteOut.of(quote)


@bp.delete(QUOTE)
@require_service
@document_response(NoContent, 204)
async def delete_quote(community_id: int, number: int) -> tuple[str, int]:
    """Remove a quote; its number is never reused."""
    _check_ids(community_id, number)
    removed = await service.remove_quote(
        resources().db, resources().cache, community_id, number, f"service:{_caller()}"
    )
    if not removed:
        raise NotFound("no such quote", details={"number": number})
    return "", 204
