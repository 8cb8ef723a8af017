"""The Slack collector's routes: the three signed webhooks.

`POST /slack/api/v1/messages` (delivery from the router) and `GET /slack/api/v1/status`
come from `flask_core.collector.collector_blueprint`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint, Response, jsonify
from quart_schema import document_response

from flask_core.collector import HeaderMap, current_runtime, signed_request
from flask_core.openapi import error_responses, signed_by

from .runtime import SlackRuntime
from .schemas import Challenge, WebhookAnswer

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
@signed_by("slack")
@document_response(Challenge)
@error_responses(400, 413)
async def events() -> Any:
    """Events API (signed by Slack, not by a service token)."""
    return await _answer(lambda rt: rt.webhooks.events)


@bp.post("/webhooks/commands")
@signed_by("slack")
@document_response(Challenge)
@error_responses(400, 413)
async def commands() -> Any:
    """Slash commands (form-encoded, signed)."""
    return await _answer(lambda rt: rt.webhooks.command)


@bp.post("/webhooks/interactivity")
@signed_by("slack")
@document_response(Challenge)
@error_responses(400, 413)
async def interactivity() -> Any:
    """Buttons, shortcuts and modals (form field `payload`, signed)."""
    return await _answer(lambda rt: rt.webhooks.interactivity)
