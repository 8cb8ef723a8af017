"""The spotify API: the shared queue's routes plus connecting the streamer's account.

GET    /spotify/api/v1/communities/{id}/account           {connected} (service token)
POST   /spotify/api/v1/communities/{id}/account/connect   {authorize_url}: send the streamer there
DELETE /spotify/api/v1/communities/{id}/account           forget the tokens
GET    /spotify/oauth/callback?code&state                  Spotify's redirect (the state is the proof)
…/queue, …/queue/{id}/approve, …/queue/skip, …/queue/undo-skip, …/settings (flask_core.song_queue)
"""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import hide, validate_querystring, validate_response

from flask_core import NotFound, ServiceError, require_service
from flask_core.app import resources
from flask_core.openapi import error_responses
from flask_core.song_queue import SongError, SongQueue

from .schemas import AccountOut, CallbackQuery, ConnectOut
from .service import Accounts

ACCOUNT = "/api/v1/communities/<int:community_id>/account"


def _page(text: str, status: int) -> Response:
    body = f"<!doctype html><meta charset=utf-8><title>Spotify</title><p>{text}</p>"  # fixed texts only
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


def blueprints(queue: SongQueue, accounts: Accounts) -> list[Blueprint]:
    bp = Blueprint("spotify", __name__)

    def check(community_id: int) -> int:
        if not 0 < community_id <= 2**63 - 1:
            raise NotFound("no such community")
        return community_id

    @bp.get(ACCOUNT)
    @require_service
    @validate_response(AccountOut)
    async def account(community_id: int) -> AccountOut:
        check(community_id)
        return AccountOut(connected=community_id in await accounts.connected(resources()))

    @bp.post(ACCOUNT + "/connect")
    @require_service
    @error_responses(409)
    @validate_response(ConnectOut)
    async def connect(community_id: int) -> ConnectOut:
        try:
            return ConnectOut(authorize_url=await accounts.authorize_url(resources(), check(community_id)))
        except SongError as exc:
            raise ServiceError(exc.text, code="conflict", status=409) from None  # not configured here

    @bp.delete(ACCOUNT)
    @require_service
    @validate_response(AccountOut)
    async def disconnect(community_id: int) -> AccountOut:
        await accounts.disconnect(resources(), check(community_id))
        return AccountOut(connected=False)

    @bp.get("/oauth/callback")
    @hide  # the browser's redirect from Spotify, an HTML page
    @validate_querystring(CallbackQuery)
    async def callback(query_args: CallbackQuery) -> Response:
        if query_args.error or not query_args.code or not query_args.state:
            return _page("Spotify was not connected.", 400)
        try:
            await accounts.connect(resources(), query_args.state, query_args.code)
        except SongError:
            return _page("Spotify was not connected: the link expired or Spotify refused. Try again.", 400)
        return _page("Spotify is connected. You can close this page.", 200)

    return [queue.blueprint(), bp]
