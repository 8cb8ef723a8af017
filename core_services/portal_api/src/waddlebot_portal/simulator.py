"""The chat simulator: a line through the router as platform `web`, in the path's community.

The community goes in the trusted `metadata.community_id` field, which the router
keeps only from the portal's service token (§12); the simulated role is capped at the
caller's own role in the community (`admin` only for admins). The event is the one the
chat CLI sends (`waddlebot chat`), so the answer is the one the CLI would print; late
answers (`pending`) are waited for within PORTAL_SIMULATE_TIMEOUT, as the CLI waits.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from flask_core.errors import DependencyUnavailable, ServiceError
from flask_core.events import ROLE_ORDER, ROLE_RANK
from flask_core.resources import Resources

TRUSTED_COMMUNITY = "community_id"  # waddlebot_router.service.TRUSTED_COMMUNITY
TEXT_TYPES = ("chat", "dm", "error")


def capped(asked: str, own: str) -> str:
    """The simulated role: what was asked, at most the caller's own role."""
    return asked if ROLE_RANK[asked] <= ROLE_RANK[own] else ROLE_ORDER[ROLE_RANK[own]]


def build_event(community_id: int, text: str, username: str, role: str, caller: str) -> dict[str, Any]:
    return {
        "event_id": f"web:portal-{uuid.uuid4()}",
        "platform": "web",
        "server_id": f"portal-{community_id}",
        "channel_id": f"portal-{community_id}",
        "user": {
            "platform_user_id": f"portal-sim-{username}",
            "username": username,
            "display_name": username,
            "roles": [] if role == "everyone" else [role],
        },
        "type": "chat_message",
        "text": text,
        "reply": {"kind": "inline"},
        "metadata": {TRUSTED_COMMUNITY: community_id, "portal_user": caller},
    }


async def simulate(res: Resources, event: dict[str, Any], timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
    """The router's answer to the event: `{status, responses, invocation_id, pending}`."""
    client = res.http.for_service("portal")
    answer = await client.call("router", "POST", "/router/api/v1/events", json=event, timeout=timeout)
    body = answer.json() if answer.content else {}
    if answer.status_code >= 400:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        raise ServiceError(
            str(error.get("message") or "the router refused the line"),
            code=str(error.get("code") or "dependency_unavailable"),
            status=answer.status_code if answer.status_code < 500 else 503,
            details=error.get("details") or {},
        )
    result = {
        "status": str(body.get("status", "failed")),
        "responses": list(body.get("responses") or []),
        "invocation_id": body.get("invocation_id"),
        "pending": bool(body.get("pending")),
    }
    if result["pending"] and result["invocation_id"]:
        result["responses"] = await _late(res, str(result["invocation_id"]), timeout)
        result["pending"] = not result["responses"]
    return result


async def _late(res: Resources, invocation_id: str, timeout: float) -> list[dict[str, Any]]:  # noqa: ASYNC109
    client = res.http.for_service("portal")
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        try:
            answer = await client.call("router", "GET", f"/router/api/v1/responses/{invocation_id}")
        except DependencyUnavailable:
            return []
        if answer.status_code != 200:
            return []
        responses: list[dict[str, Any]] = answer.json().get("responses") or []
        if responses:
            return responses
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)
    return []


def side_effects(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in responses if r.get("type") not in TEXT_TYPES]
