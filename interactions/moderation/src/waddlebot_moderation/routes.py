"""The moderation REST API (service token): thin handlers that validate, call service.py, answer.

GET   /moderation/api/v1/communities/{id}/rules      the whole rule set (the router caches it)
PATCH /moderation/api/v1/communities/{id}/rules      change some of it; patterns are checked
GET   /moderation/api/v1/communities/{id}/log        the moderation log, newest first
POST  /moderation/api/v1/log:batch                   the router's records, in batches
"""

from __future__ import annotations

from quart import Blueprint
from quart_schema import validate_querystring, validate_request, validate_response

from flask_core import NotFound, require_service
from flask_core.app import resources
from flask_core.openapi import error_responses

from . import service
from .schemas import LogBatchIn, LogBatchOut, LogEntryOut, LogPage, LogQuery, RulesOut, RulesPatch

bp = Blueprint("moderation", __name__)

COMMUNITY = "/api/v1/communities/<int:community_id>"
MAX_COMMUNITY_ID = 2**63 - 1  # the column is a bigint: larger ids cannot exist


def _check(community_id: int) -> None:
    if community_id > MAX_COMMUNITY_ID or community_id < 1:
        raise NotFound("no such community")


@bp.get(f"{COMMUNITY}/rules")
@require_service
@validate_response(RulesOut)
async def get_rules(community_id: int) -> RulesOut:
    """The community's rules over the defaults, with active permits and the version."""
    _check(community_id)
    return RulesOut.model_validate(await service.rules_document(resources().db, community_id))


@bp.patch(f"{COMMUNITY}/rules")
@require_service
@validate_request(RulesPatch)
@validate_response(RulesOut)
@error_responses(422)
async def patch_rules(community_id: int, data: RulesPatch) -> RulesOut:
    """Change filters, exempt roles or escalation; a risky pattern is 422 `catastrophic_pattern`."""
    _check(community_id)
    return RulesOut.model_validate(await service.update_rules(resources(), community_id, data.changes()))


@bp.get(f"{COMMUNITY}/log")
@require_service
@validate_querystring(LogQuery)
@validate_response(LogPage)
async def get_log(community_id: int, query_args: LogQuery) -> LogPage:
    """What moderation did (rule, message, action), newest first; `q` = a username."""
    _check(community_id)
    cursor = int(query_args.cursor) if query_args.cursor else None
    entries, next_cursor = await service.list_log(
        resources().db, community_id, limit=query_args.limit, cursor=cursor, user=query_args.q
    )
    return LogPage(items=[LogEntryOut.of(e) for e in entries],
                   next_cursor=str(next_cursor) if next_cursor else None)  # fmt: skip


@bp.post("/api/v1/log:batch")
@require_service
@validate_request(LogBatchIn)
@validate_response(LogBatchOut)
async def post_log(data: LogBatchIn) -> LogBatchOut:
    """Records from the routers' evaluators (deduplicated by community and event id)."""
    records = [r.model_dump() for r in data.records]
    return LogBatchOut(stored=await service.record(resources().db, records))
