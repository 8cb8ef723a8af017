"""Module-initiated messages (§11): how a service posts into a chat through the router.

    await post_message(res, "timers", message_id=..., community_id=..., platform=...,
                       server_id=..., channel_id=..., responses=[...])

`POST /router/api/v1/messages` delivers `responses` to that chat once per `message_id`
(the router keeps it 7 days and answers `duplicate` for a repeat), so a caller that
fires again after a lost lease never posts twice. A 5xx or 429 raises
DependencyUnavailable, so a scheduler keeps the occurrence and retries it; any other
refusal is final (None: retrying a bad request cannot help). Reminders, timers,
calendar reminders and overdue checkouts all post through here.
"""

from __future__ import annotations

from typing import Any

from .errors import DependencyUnavailable
from .logging import get_logger
from .resources import Resources

log = get_logger(__name__)
PATH = "/router/api/v1/messages"
TIMEOUT = 10.0  # seconds, the whole call with its one retry


async def post_message(
    res: Resources,
    prefix: str,
    *,
    message_id: str,
    community_id: int | str,
    platform: str,
    server_id: str,
    channel_id: str,
    responses: list[dict[str, Any]],
) -> str | None:
    """The router's status for the message (`processed`, `duplicate` …), or None when refused."""
    body = {
        "message_id": message_id,
        "community_id": community_id,
        "platform": platform,
        "server_id": server_id,
        "channel_id": channel_id,
        "responses": responses,
    }
    response = await res.http.for_service(prefix).call(
        "router", "POST", PATH, json=body, timeout=TIMEOUT, retries=1
    )
    if response.status_code >= 500 or response.status_code == 429:
        raise DependencyUnavailable(
            "the router did not take the message", details={"status": response.status_code}
        )
    if response.status_code != 200:
        log.warning("outbound.refused", message_id=message_id, status=response.status_code)
        return None
    status = response.json().get("status")
    return str(status) if status is not None else None
