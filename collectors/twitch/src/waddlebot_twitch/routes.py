"""The Twitch collector's route: the EventSub webhook.

`POST /twitch/api/v1/messages` (delivery from the router) and `GET /twitch/api/v1/status`
come from `flask_core.collector.collector_blueprint`.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response

from flask_core.collector import current_runtime, signed_request

from .runtime import TwitchRuntime

bp = Blueprint("twitch", __name__)


@bp.post("/webhooks/eventsub")
async def eventsub() -> Any:
    """Twitch EventSub (signed by Twitch, not by a service token)."""
    rt = current_runtime(TwitchRuntime)
    headers, body = await signed_request()
    answer = await rt.eventsub.handle(headers, body)
    return Response(answer.body, status=answer.status, content_type=answer.content_type)
