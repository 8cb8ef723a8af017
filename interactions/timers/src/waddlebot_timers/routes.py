"""The timers REST API for the portal (service token), under `/timers/api/v1/communities/{id}`.

    GET    …/timers?limit&cursor&q&sort     {items, next_cursor} (sort: name, minutes, posts)
    PATCH  …/timers/{name}                  enabled, minutes, min_lines, text → the timer
    DELETE …/timers/{name}                  204

A timer is added from the chat it posts in (`!timer add`), which is where it learns its
platform, server and channel.
"""

from __future__ import annotations

from quart import Blueprint, request
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from flask_core import NotFound, require_service
from flask_core.app import resources
from flask_core.openapi import NoContent, error_responses
from flask_core.pagination import page_query

from . import service
from .schemas import ListQuery, Name, TimerList, TimerOut, TimerPatch

bp = Blueprint("timers", __name__)

TIMERS = "/api/v1/communities/<int:community_id>/timers"
MAX_COMMUNITY_ID = 2**63 - 1  # the column is a bigint: larger ids cannot exist
SORTS = ("name", "minutes", "posts")


def _check(community_id: int) -> None:
    if community_id > MAX_COMMUNITY_ID:
        raise NotFound("no such community")


async def _timer(community_id: int, name: str) -> service.Timer:
    _check(community_id)
    timer = await resources().db.read(service.find, community_id, name.lower())
    if timer is None:
        raise NotFound("no such timer", details={"name": name})
    return timer


@bp.get(TIMERS)
@require_service
@validate_querystring(ListQuery)
@validate_response(TimerList)
async def list_timers(community_id: int, query_args: ListQuery) -> TimerList:
    """The community's timers, a page at a time; `q` matches names and texts."""
    _check(community_id)
    page = page_query(request.args, SORTS, "name")
    timers = await resources().db.read(service.list_timers, community_id)
    if page.q:
        needle = page.q.lower()
        timers = [t for t in timers if needle in t.name or needle in t.text.lower()]
    timers.sort(key=lambda t: (getattr(t, page.sort), t.id), reverse=page.descending)
    rows = timers[page.limitby[0] : page.limitby[1]]
    items, cursor = page.split(rows)
    return TimerList(items=[TimerOut.of(t) for t in items], next_cursor=cursor)


@bp.patch(f"{TIMERS}/<name>")
@require_service
@validate_request(TimerPatch)
@validate_response(TimerOut)
@error_responses(404)
async def change_timer(community_id: int, name: str, data: TimerPatch) -> TimerOut:
    """Change a timer's period, lines, text or on/off state; answers the new state."""
    timer = await _timer(community_id, name)
    res = resources()
    now = service.clock_of(res)
    if data.enabled is not None:
        await res.db.run(service.set_enabled, timer, data.enabled, await service.lines(res, timer.chat), now)
    changes = data.model_dump(exclude_none=True, exclude={"enabled"})
    if changes:
        await res.db.run(service.change, timer.id, changes)
    return TimerOut.of(await _timer(community_id, name))


@bp.delete(f"{TIMERS}/<name>")
@require_service
@document_response(NoContent, 204)
@error_responses(404)
async def delete_timer(community_id: int, name: str) -> tuple[str, int]:
    """Remove a timer (its chat's tick stops when it was the last one)."""
    timer = await _timer(community_id, name)
    res = resources()
    await res.db.run(service.remove_timer, timer, service.clock_of(res))
    return "", 204


__all__ = ["Name", "bp"]
