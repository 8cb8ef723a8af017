"""The Discord outbox's sender: events to the router, and empty answers answered here.

`flask_core.outbox.router_sender` (same verdicts) with an `on_answer` hook that reads the
router's answer: an interaction that will get no visible message (ignored, silently rate
limited, or only overlays) and no late answer (`pending`) gets the short ephemeral
text, so every interaction is answered exactly once.
"""

from __future__ import annotations

from typing import Any

from flask_core.events import Reply
from flask_core.logging import get_logger
from flask_core.outbox import Sender, router_sender
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
    if answer.get("private"):
        return False  # a `dm` (left out of the answer) is on its way as the ephemeral reply
    responses = answer.get("responses") or []
    return not any(r.get("type") in VISIBLE and str(r.get("text", "")).strip() for r in responses)


def interaction_sender(res: Resources, replies: DiscordReplies, timeout: float = 5.0) -> Sender:
    """POST each payload to `/router/api/v1/events`; answer empty interactions."""

    async def on_answer(payload: dict[str, Any], answer: dict[str, Any]) -> None:
        if needs_empty_answer(payload, answer):
            await _answer_empty(replies, payload)

    return router_sender(res, "discord", timeout, on_answer=on_answer)


async def _answer_empty(replies: DiscordReplies, payload: dict[str, Any]) -> None:
    try:
        await replies.answer_empty(Reply.model_validate(payload["reply"]))
    except Exception as exc:  # the event itself went through: log, never retry it
        log.warning("discord.empty_answer_failed", event_id=payload.get("event_id"), error=repr(exc))
