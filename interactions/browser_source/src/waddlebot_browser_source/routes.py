"""The overlay page, its WebSocket and the browser_source API.

GET  /browser_source/overlay/<token>/<kind>      static HTML (strict CSP), 404 when the token is not valid
GET  /browser_source/static/overlay.{js,css}
WS   /browser_source/ws/<token>/<kind>           pushed items; close 4401 for a wrong token
POST /browser_source/api/v1/overlays             overlay items (service token: router, music)
GET  /browser_source/api/v1/communities/<id>/overlays          masked URLs (portal)
POST /browser_source/api/v1/communities/<id>/overlays/reveal   the URLs themselves
POST /browser_source/api/v1/communities/<id>/overlays/rotate   a new token (old one: grace)
POST /browser_source/api/v1/communities/<id>/overlays/test     a test alert on the alerts overlay
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import uuid
from importlib import resources as package_files
from typing import Any

from quart import Blueprint, Response, websocket
from quart_schema import hide, validate_querystring, validate_request, validate_response

from flask_core import NotFound, get_logger, require_service
from flask_core.app import resources

from . import service, tokens
from .hub import KINDS, SLOW, Client
from .schemas import OverlayList, OverlayOut, OverlayPush, OverlayQuery, PushResult

log = get_logger(__name__)
bp = Blueprint("browser_source", __name__)
STATIC = {"overlay.js": "text/javascript", "overlay.css": "text/css"}

UNAUTHORISED = 4401  # close code: unknown or rotated-out token
IDLE = 4000  # close code: no ping for three heartbeats
MAX_COMMUNITY_ID = 2**63 - 1
YOUTUBE = "https://www.youtube.com https://www.youtube-nocookie.com"
#: `frame-ancestors 'self'`: only a page of the same origin (the portal's live preview,
#: decision 0083) may frame an overlay; OBS loads it as the top page.
BASE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
MEDIA_POLICY = (
    f"default-src 'none'; script-src 'self' https://www.youtube.com; style-src 'self'; "
    f"connect-src 'self'; img-src 'self' data:; frame-src {YOUTUBE}; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)


@functools.cache
def _static(name: str) -> str:
    return (package_files.files(__package__) / "static" / name).read_text(encoding="utf-8")


def _html(body: str, status: int, policy: str) -> Response:
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _check() -> tokens.TokenCheck:
    found: tokens.TokenCheck = resources().extras[service.CHECK_KEY]
    return found


@bp.get("/static/<name>")
@hide  # the page's own files, not API
async def static_file(name: str) -> Response:
    if name not in STATIC:
        return _html(_static("missing.html"), 404, BASE_POLICY)
    response = Response(_static(name), content_type=f"{STATIC[name]}; charset=utf-8")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/overlay/<token>/<kind>")
@hide  # an HTML page for OBS, not API
async def overlay_page(token: str, kind: str) -> Response:
    """The page OBS loads; it reads its token and kind from its own address."""
    if kind not in KINDS or await _check()(token) is None:
        return _html(_static("missing.html"), 404, BASE_POLICY)
    return _html(_static("overlay.html"), 200, MEDIA_POLICY if kind == "media" else BASE_POLICY)


@bp.websocket("/ws/<token>/<kind>")
async def overlay_socket(token: str, kind: str) -> None:
    community_id = await _check()(token) if kind in KINDS else None
    await websocket.accept()
    if community_id is None:
        await websocket.close(UNAUTHORISED, "unknown overlay token")
        return
    res = resources()
    hub = service.hub(res)
    settings = service.settings_of(res)
    client = hub.join(community_id, kind)
    try:
        await websocket.send(
            json.dumps({"type": "hello", "kind": kind, "heartbeat": settings.browser_source_heartbeat})
        )
        replayed = await hub.replay(community_id, kind)
        sent = {str(item.get("id")) for item in replayed}
        for item in replayed:
            await websocket.send(json.dumps({**item, "replay": True}, separators=(",", ":")))
        await websocket.send('{"type":"ready"}')  # the replay is over; live items follow
        code = await _serve(client, token, sent, settings.browser_source_heartbeat)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):  # a stalled peer never holds the handler
                await websocket.close(code)
    finally:
        hub.leave(client)


async def _serve(client: Client, token: str, replayed: set[str], heartbeat: float) -> int:
    """Send the client's items and answer its pings until one side ends: the close code."""

    async def send_items() -> int:
        while True:
            item_id, text = await client.queue.get()
            if item_id in replayed:
                replayed.discard(item_id)
                continue
            await websocket.send(text)

    async def receive() -> int:
        while True:
            try:
                async with asyncio.timeout(heartbeat * 3):
                    raw = await websocket.receive()
            except TimeoutError:
                return IDLE
            message = _parse(raw)
            kind = message.get("type")
            if kind == "ping":
                if await _check()(token) is None:
                    return UNAUTHORISED
                await websocket.send('{"type":"pong"}')
            elif kind in ("ended", "failed") and client.kind == "media":
                await service.media_report(resources(), client.community_id, kind, message)

    async def slow() -> int:
        await client.slow.wait()
        return SLOW

    tasks = [asyncio.create_task(t()) for t in (send_items, receive, slow)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        first = done.pop()
        if first.exception() is not None:
            raise first.exception()  # type: ignore[misc]
        code: int = first.result()
        return code
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _parse(raw: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# --- service-facing -----------------------------------------------------------------------


@bp.post("/api/v1/overlays")
@require_service
@validate_request(OverlayPush)
@validate_response(PushResult, 202)
async def push_overlays(data: OverlayPush) -> tuple[PushResult, int]:
    """Overlay responses to show: each (invocation, index) once, alerts once per event."""
    items = [(i.index, i.source, i.payload) for i in data.items]
    published = await service.push(resources(), data.community_id, data.invocation_id, items)
    return PushResult(published=published), 202


# --- portal-facing ------------------------------------------------------------------------

OVERLAYS = "/api/v1/communities/<int:community_id>/overlays"


def _community(community_id: int) -> int:
    if not 0 < community_id <= MAX_COMMUNITY_ID:
        raise NotFound("no such community")
    return community_id


def _listing(
    token: str, *, masked: bool, query: OverlayQuery | None = None, grace: float | None = None
) -> OverlayList:
    base = service.public_base(resources())
    shown = tokens.mask(token) if masked else token
    items = [
        OverlayOut(kind=kind, url=url, preview_url=f"{url}?preview=1")
        for kind, url in service.overlay_urls(base, shown).items()
    ]
    if query is not None:
        if query.q:
            items = [i for i in items if query.q.casefold() in i.kind]
        if query.sort:
            items.sort(key=lambda i: i.kind, reverse=query.sort == "-kind")
        items = items[: query.limit]
    return OverlayList(items=items, next_cursor=None, grace_seconds=grace)


@bp.get(OVERLAYS)
@require_service
@validate_querystring(OverlayQuery)
@validate_response(OverlayList)
async def list_overlays(community_id: int, query_args: OverlayQuery) -> OverlayList:
    """The community's overlay URLs with the token masked."""
    token = await tokens.current(resources().db, _community(community_id))
    return _listing(token, masked=True, query=query_args)


@bp.post(OVERLAYS + "/reveal")
@require_service
@validate_response(OverlayList)
async def reveal_overlays(community_id: int) -> OverlayList:
    """The URLs themselves (the portal's "show" button)."""
    token = await tokens.current(resources().db, _community(community_id))
    return _listing(token, masked=False)


@bp.post(OVERLAYS + "/rotate")
@require_service
@validate_response(OverlayList)
async def rotate_overlays(community_id: int) -> OverlayList:
    """A new token; the old URLs keep working for the grace period, then stop."""
    res = resources()
    grace = service.settings_of(res).browser_source_grace
    token = await tokens.rotate(res.db, _community(community_id), grace)
    _check().forget()
    return _listing(token, masked=False, grace=grace)


#: The portal's "Send a test alert": what the alerts overlay shows (a follow, plainly marked).
TEST_ALERT = {"kind": "follow", "user": "Test follower", "login": "test_follower", "test": True}


@bp.post(OVERLAYS + "/test")
@require_service
@validate_response(PushResult)
async def test_overlays(community_id: int) -> PushResult:
    """A test alert on the community's alerts overlay (OBS and the portal's preview show it)."""
    invocation = f"browser_source:test:{_community(community_id)}:{uuid.uuid4()}"
    published = await service.push(resources(), community_id, invocation, [(0, "alert", dict(TEST_ALERT))])
    return PushResult(published=published)
