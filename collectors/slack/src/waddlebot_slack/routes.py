"""The Slack collector's routes: the three signed webhooks.

`POST /slack/api/v1/messages` (delivery from the router) comes from
`flask_core.delivery.delivery_blueprint`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from quart import Blueprint, Response, current_app, jsonify, request

from flask_core.delivery import STATUS_KEY, CollectorStatus
from flask_core.errors import DependencyUnavailable

from .runtime import RUNTIME_KEY, SlackRuntime
from .schemas import WebhookAnswer
from .signature import HeaderMap

bp = Blueprint("slack", __name__)
Handler = Callable[[HeaderMap, bytes], Awaitable[WebhookAnswer]]


def runtime() -> SlackRuntime:
    status: CollectorStatus = current_app.extensions[STATUS_KEY]
    status.require_enabled()
    found: SlackRuntime | None = current_app.extensions.get(RUNTIME_KEY)
    if found is None:
        raise DependencyUnavailable("the slack collector is starting")
    return found


async def _answer(pick: Callable[[SlackRuntime], Handler]) -> Any:
    handler = pick(runtime())
    body = await request.get_data(cache=True, as_text=False, parse_form_data=False)  # raw bytes, signed
    answer = await handler(request.headers, body)
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
