"""The Slack collector's routes: the three signed webhooks.

`POST /slack/api/v1/messages` (delivery from the router) and `GET /slack/api/v1/status`
come from `flask_core.collector.collector_blueprint`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint, Response, jsonify

from flask_core.collector import HeaderMap, current_runtime, signed_request

from .runtime import SlackRuntime
from .schemas import WebhookAnswer

bp = Blueprint("slack", __name__)
Handler = Callable[[HeaderMap, bytes], Awaitable[WebhookAnswer]]


async def _answer(pick: Callable[[SlackRuntime], Handler]) -> Any:
    handler = pick(current_runtime(SlackRuntime))
    headers, body = await signed_request()
    answer = await handler(headers, body)
    if answer.body is None:
        return Response("", status=answer.status)
    return jsonify(answer.body), answer.status


@bp.post("/webhooks/events")
async def events() -> Any:
    """Events API (signed by Slack, not by a service token)."""
    return await _answer(lambda rt: rt.webhooks.events)


@bp.post("/webhooks/commands")
async def commands() -> Any:
    """Slash commands (form-encoded, signed)."""
    return await _answer(lambda rt: rt.webhooks.command)


@bp.post("/webhooks/interactivity")
async def interactivity() -> Any:
    """Buttons, shortcuts and modals (form field `payload`, signed)."""
    return await _answer(lambda rt: rt.webhooks.interactivity)
