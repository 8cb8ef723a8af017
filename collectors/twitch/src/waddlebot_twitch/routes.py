"""The Twitch collector's routes: the EventSub webhook and a status endpoint.

`POST /twitch/api/v1/messages` (delivery from the router) comes from
`flask_core.delivery.delivery_blueprint`.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, current_app, request
from quart_schema import validate_response

from flask_core.auth import require_service
from flask_core.delivery import STATUS_KEY, CollectorStatus
from flask_core.errors import DependencyUnavailable

from .runtime import RUNTIME_KEY, TwitchRuntime
from .schemas import CollectorStatusOut

bp = Blueprint("twitch", __name__)


def _status() -> CollectorStatus:
    status: CollectorStatus = current_app.extensions[STATUS_KEY]
    return status


def runtime() -> TwitchRuntime:
    _status().require_enabled()
    found: TwitchRuntime | None = current_app.extensions.get(RUNTIME_KEY)
    if found is None:
        raise DependencyUnavailable("the twitch collector is starting")
    return found


@bp.post("/webhooks/eventsub")
async def eventsub() -> Any:
    """Twitch EventSub (signed by Twitch, not by a service token)."""
    rt = runtime()
    body = await request.get_data(cache=True, as_text=False, parse_form_data=False)  # raw bytes, signed
    answer = await rt.eventsub.handle(request.headers, body)
    return Response(answer.body, status=answer.status, content_type=answer.content_type)


@bp.get("/api/v1/status")
@require_service
@validate_response(CollectorStatusOut)
async def status() -> CollectorStatusOut:
    current = _status()
    if not current.enabled:
        return CollectorStatusOut(status="disabled", missing=current.missing)
    rt = runtime()
    pending = await rt.outbox.pending()
    return CollectorStatusOut(status="enabled", outbox_pending=pending, outbox_worker=rt.worker.running)
