"""The Discord outbox's sender: events to the router, and empty answers answered here.

Like `flask_core.outbox.router_sender` (same verdicts), but it reads the router's
answer: an interaction that will get no visible message (ignored, silently rate
limited, or only overlays) and no late answer (`pending`) gets the short ephemeral
text, so every interaction is answered exactly once.
"""

from __future__ import annotations

from typing import Any

import httpx

from flask_core.errors import DependencyUnavailable
from flask_core.events import Reply
from flask_core.logging import get_logger
from flask_core.outbox import Sender, Verdict
from flask_core.resources import Resources

from .replies import DiscordReplies

log = get_logger(__name__)
VISIBLE = ("chat", "error")


def needs_empty_answer(payload: dict[str, Any], answer: dict[str, Any]) -> bool:
    """True when the router's answer to an interaction will deliver nothing visible."""
    reply = payload.get("reply")
    if not isinstance(reply, dict) or reply.get("kind") != "discord_interaction":
        return False
    if answer.get("status") in ("duplicate", "failed") or answer.get("pending"):
        return False  # the original copy answers; a failure is retried; a late answer comes
    responses = answer.get("responses") or []
    return not any(r.get("type") in VISIBLE and str(r.get("text", "")).strip() for r in responses)


def interaction_sender(res: Resources, replies: DiscordReplies, timeout: float = 5.0) -> Sender:
    """POST each payload to `/router/api/v1/events`; answer empty interactions."""
    client = res.http.for_service("discord")

    async def send(payload: dict[str, Any]) -> Verdict:
        try:
            response = await client.call(
                "router", "POST", "/router/api/v1/events", json=payload, timeout=timeout, retries=0
            )
        except DependencyUnavailable as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            return "retry", f"unavailable:{details.get('status') or details.get('reason', 'unknown')}"
        status = response.status_code
        if status in (408, 429) or status >= 500:
            return "retry", f"http_{status}"
        if status >= 300:
            return "dead", f"http_{status}:{response.text[:200]}"
        answer = _json_object(response)
        if answer.get("status") == "failed":
            return "retry", "router_failed"
        if needs_empty_answer(payload, answer):
            await _answer_empty(replies, payload)
        return "ok", str(answer.get("status", status))

    return send


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def _answer_empty(replies: DiscordReplies, payload: dict[str, Any]) -> None:
    try:
        await replies.answer_empty(Reply.model_validate(payload["reply"]))
    except Exception as exc:  # the event itself went through: log, never retry it
        log.warning("discord.empty_answer_failed", event_id=payload.get("event_id"), error=repr(exc))
