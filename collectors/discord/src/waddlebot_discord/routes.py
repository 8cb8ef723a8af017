"""The Discord collector's route: the signed interactions webhook.

`POST /discord/api/v1/messages` (delivery from the router) comes from
`flask_core.delivery.delivery_blueprint`.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, current_app, jsonify, request

from flask_core.delivery import STATUS_KEY, CollectorStatus
from flask_core.errors import DependencyUnavailable

from .runtime import RUNTIME_KEY, DiscordRuntime
from .schemas import InteractionResponse

bp = Blueprint("discord", __name__)


def runtime() -> DiscordRuntime:
    status: CollectorStatus = current_app.extensions[STATUS_KEY]
    status.require_enabled()
    found: DiscordRuntime | None = current_app.extensions.get(RUNTIME_KEY)
    if found is None:
        raise DependencyUnavailable("the discord collector is starting")
    return found


@bp.post("/webhooks/interactions")
async def interactions() -> Any:
    """Discord interactions (signed by Discord, not by a service token)."""
    rt = runtime()
    body = await request.get_data(cache=True, as_text=False, parse_form_data=False)  # raw bytes, signed
    answer = InteractionResponse.model_validate(await rt.webhook.handle(request.headers, body))
    return jsonify(answer.model_dump(mode="json", exclude_none=True))
