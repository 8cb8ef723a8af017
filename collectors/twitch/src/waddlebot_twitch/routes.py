"""The Twitch collector's route: the EventSub webhook.

`POST /twitch/api/v1/messages` (delivery from the router) and `GET /twitch/api/v1/status`
come from `flask_core.collector.collector_blueprint`.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response
from quart_schema import document_response

from flask_core.collector import current_runtime, signed_request
from flask_core.openapi import NoContent, PlainText, error_responses, signed_by

from .runtime import TwitchRuntime

bp = Blueprint("twitch", __name__)


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
