"""Slack payloads → router events (§4.1), through a dispatch table by event type.

Messages and mentions share ONE event id, `slack:{team}:{channel}:{ts}`, because a
mention arrives twice (as `message` and as `app_mention`); a leading mention of the
bot is removed so both copies read the same. Slash commands (`/quote add x` →
`!quote add x`) and interactivity use `slack:{trigger_id}`. The user's roles and
names are filled in later from `users.info` (see `web_api.SlackApi.enrich`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core.events import Event

#: Message subtypes that are still a person writing in the channel; all others
#: (bot_message, message_changed, message_deleted, channel_join, ...) are dropped.
PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
_LEADING_MENTION = re.compile(r"^\s*<@([A-Z0-9]+)(?:\|[^>]*)?>[\s,:]*")


@dataclass(slots=True, frozen=True)
class BotIdentity:
    """Who the bot is in its workspace (from `auth.test`)."""

    user_id: str
    bot_id: str
    team_id: str = ""


def _when(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def _user(user_id: str, username: str = "") -> dict[str, Any]:
    name = username or user_id
    return {"platform_user_id": user_id, "username": name, "display_name": username, "roles": []}


def strip_mention(text: str, bot: BotIdentity | None, *, mentioned: bool = False) -> str:
    """Drop a leading `<@bot>`: the bot's own, or any one when the event is a mention."""
    match = _LEADING_MENTION.match(text)
    if match and (mentioned or (bot is not None and match.group(1) == bot.user_id)):
        return text[match.end() :]
    return text


def drop_reason(event: Mapping[str, Any], bot: BotIdentity | None) -> str | None:
    """Why a message must not reach the outbox (the bot itself, a bot, an edit...)."""
    if event.get("subtype") not in PERSON_SUBTYPES:
        return "subtype"
    if event.get("bot_id") or event.get("bot_profile"):
        return "bot"
    user = event.get("user")
    if not user:
        return "no_user"
    if bot is not None and user == bot.user_id:
        return "own_message"
    return None


def chat_message(envelope: Mapping[str, Any], bot: BotIdentity | None) -> Event | None:
    """`message` and `app_mention` → one `chat_message` event."""
    e = envelope["event"]
    if drop_reason(e, bot) is not None:
        return None
    team = str(envelope.get("team_id") or e.get("team") or "")
    channel, ts = str(e["channel"]), str(e["ts"])
    raw = str(e.get("text") or "")
    text = strip_mention(raw, bot, mentioned=e.get("type") == "app_mention")
    metadata: dict[str, Any] = {
        "slack_event_id": envelope.get("event_id"),
        "channel_type": e.get("channel_type"),
    }
    if text != raw or e.get("type") == "app_mention":
        metadata["mentions_bot"] = True  # the line addressed the bot (the AI answers it, decision 0061)
    reply: dict[str, Any] = {"kind": "chat", "message_id": ts}
    if e.get("thread_ts"):
        reply["thread_ts"] = str(e["thread_ts"])  # answer in the thread it was asked in
    return Event.model_validate(
        {
            "event_id": f"slack:{team}:{channel}:{ts}",
            "platform": "slack",
            "server_id": team,
            "channel_id": channel,
            "user": _user(str(e["user"])),
            "type": "chat_message",
            "text": text.strip()[:4000],
            "reply": reply,
            "metadata": metadata,
            "occurred_at": _when(e["ts"]),
        }
    )


def member_joined(envelope: Mapping[str, Any], bot: BotIdentity | None) -> Event | None:
    e = envelope["event"]
    if bot is not None and e.get("user") == bot.user_id:
        return None
    team = str(envelope.get("team_id") or e.get("team") or "")
    return Event.model_validate(
        {
            "event_id": f"slack:{envelope['event_id']}",
            "platform": "slack",
            "server_id": team,
            "channel_id": str(e["channel"]),
            "user": _user(str(e["user"])),
            "type": "member_join",
            "reply": {"kind": "chat"},
            "metadata": {"inviter": e.get("inviter")},
            "occurred_at": _when(envelope.get("event_time")),
        }
    )


EVENTS: dict[str, Callable[[Mapping[str, Any], BotIdentity | None], Event | None]] = {
    "message": chat_message,
    "app_mention": chat_message,
    "member_joined_channel": member_joined,
}


def callback_event(envelope: Mapping[str, Any], bot: BotIdentity | None) -> Event | None:
    """The router event for an `event_callback`, or None when WaddleBot does not use it."""
    event = envelope.get("event")
    handler = EVENTS.get(str(event.get("type"))) if isinstance(event, Mapping) else None
    return handler(envelope, bot) if handler is not None else None


def slash_command(form: Mapping[str, str]) -> Event:
    """A slash command (form fields) → `slash_command` with `!name args` as its text."""
    name = form["command"].lstrip("/").strip().lower()
    args = form.get("text", "").strip()
    return Event.model_validate(
        {
            "event_id": f"slack:{form['trigger_id']}",
            "platform": "slack",
            "server_id": form["team_id"],
            "channel_id": form["channel_id"],
            "user": _user(form["user_id"], form.get("user_name", "")),
            "type": "slash_command",
            "text": f"!{name} {args}".strip()[:4000],
            "reply": {"kind": "slack_response_url", "response_url": form["response_url"]},
            "metadata": {"command": form["command"], "channel_name": form.get("channel_name")},
        }
    )


def _action(payload: Mapping[str, Any]) -> dict[str, Any]:
    actions = payload.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        first = actions[0]
        return {key: first.get(key) for key in ("action_id", "value", "block_id")}
    view = payload.get("view")
    return {
        "action_id": payload.get("callback_id")
        or (view.get("callback_id") if isinstance(view, dict) else None)
    }


def interaction(payload: Mapping[str, Any]) -> Event | None:
    """Interactivity (buttons, shortcuts, modals) → type `interaction`, `metadata.action_id`."""
    action = _action(payload)
    user = payload.get("user") or {}
    if not action.get("action_id") or not payload.get("trigger_id") or not user.get("id"):
        return None
    team = (payload.get("team") or {}).get("id") or user.get("team_id") or ""
    channel = (payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get("channel_id")
    response_url = payload.get("response_url")
    reply = {"kind": "slack_response_url", "response_url": response_url} if response_url else {"kind": "chat"}
    return Event.model_validate(
        {
            "event_id": f"slack:{payload['trigger_id']}",
            "platform": "slack",
            "server_id": str(team),
            "channel_id": str(channel or user["id"]),
            "user": _user(str(user["id"]), str(user.get("username") or user.get("name") or "")),
            "type": "interaction",
            "reply": reply,
            "metadata": {**action, "interaction_type": payload.get("type")},
        }
    )
