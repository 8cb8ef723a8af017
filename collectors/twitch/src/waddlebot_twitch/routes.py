"""The Twitch collector's routes: the EventSub webhook; user lookups and native shoutouts
for the shoutout service (service token), so Twitch tokens stay in this service.

`POST /twitch/api/v1/messages` (delivery from the router) and `GET /twitch/api/v1/status`
come from `flask_core.collector.collector_blueprint`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field
from quart import Blueprint, Response
from quart_schema import document_response, validate_request, validate_response

from flask_core.app import resources
from flask_core.auth import require_service
from flask_core.collector import current_runtime, signed_request
from flask_core.errors import NotFound
from flask_core.openapi import NoContent, PlainText, error_responses, signed_by

from . import users
from .runtime import TwitchRuntime

bp = Blueprint("twitch", __name__)
LOGIN = re.compile(r"^[A-Za-z0-9_]{1,25}$")


@bp.post("/webhooks/eventsub")
@signed_by("twitch")
@document_response(PlainText)  # the challenge of a webhook_callback_verification
@document_response(NoContent, 204)
@error_responses(400, 403, 413)
async def eventsub() -> Any:
    """Twitch EventSub (signed by Twitch, not by a service token)."""
    rt = current_runtime(TwitchRuntime)
    headers, body = await signed_request()
    answer = await rt.eventsub.handle(headers, body)
    return Response(answer.body, status=answer.status, content_type=answer.content_type)


class TwitchUser(BaseModel):
    id: str
    login: str
    display_name: str


class TwitchChannel(BaseModel):
    game_name: str
    title: str


class TwitchStream(BaseModel):
    game_name: str
    title: str
    viewer_count: int


class UserLookup(BaseModel):
    """`GET /twitch/api/v1/users/{login}` (Helix users + channels + streams).

    `unavailable` (Twitch refused our credentials or did not answer) is an outcome for
    the caller to tell its user, not a failure of this service: user/channel are null.
    """

    status: Literal["found", "unavailable"]
    user: TwitchUser | None
    channel: TwitchChannel | None
    stream: TwitchStream | None  # None: offline


class ShoutoutIn(BaseModel):
    from_broadcaster_id: str = Field(pattern=r"^[0-9]{1,20}$")
    to_broadcaster_id: str = Field(pattern=r"^[0-9]{1,20}$")


class ShoutoutOut(BaseModel):
    status: str  # sent | not_moderator | rate_limited | failed


@bp.get("/api/v1/users/<login>")
@require_service
@validate_response(UserLookup)
@error_responses(404)
async def user_lookup(login: str) -> UserLookup:
    """A Twitch user by login, with their channel and live stream (service token)."""
    if not LOGIN.match(login):
        raise NotFound("no such Twitch user")
    found = await users.lookup(current_runtime(TwitchRuntime).helix, login.lower())
    if found is None:
        raise NotFound("no such Twitch user", details={"login": login})
    return UserLookup.model_validate(found)


@bp.post("/api/v1/shoutouts")
@require_service
@validate_request(ShoutoutIn)
@validate_response(ShoutoutOut)
async def native_shoutout(data: ShoutoutIn) -> ShoutoutOut:
    """Twitch's native shoutout where the bot moderates, within Twitch's limits."""
    rt = current_runtime(TwitchRuntime)
    status = await users.shoutout(
        resources(), rt.helix, rt.channels, data.from_broadcaster_id, data.to_broadcaster_id
    )
    return ShoutoutOut(status=status)
