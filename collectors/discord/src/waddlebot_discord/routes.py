"""The Discord collector's route: the signed interactions webhook.

`POST /discord/api/v1/messages` (delivery from the router) and `GET /discord/api/v1/status`
come from `flask_core.collector.collector_blueprint`.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, jsonify
from quart_schema import document_response

from flask_core.collector import current_runtime, signed_request
from flask_core.openapi import error_responses, signed_by

from .runtime import DiscordRuntime
from .schemas import InteractionResponse

bp = Blueprint("discord", __name__)


@bp.post("/webhooks/interactions")
@signed_by("discord")
@document_response(InteractionResponse)
@error_responses(400, 413)
async def interactions() -> Any:
    """Discord interactions (signed by Discord, not by a service token)."""
    rt = current_runtime(DiscordRuntime)
    headers, body = await signed_request()
    answer = InteractionResponse.model_validate(await rt.webhook.handle(headers, body))
    return jsonify(answer.model_dump(mode="json", exclude_none=True))
