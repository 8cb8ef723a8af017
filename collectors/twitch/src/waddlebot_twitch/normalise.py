"""EventSub notifications → router events (§4.1), through a dispatch table by type.

Chat: event_id `twitch:{message_id}`, roles from badges, a `chat` reply that threads
under the message. Other types: event_id `twitch:{message id header}`, a `chat` reply
without a parent, details in `metadata`. Unknown types map to nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_core.events import Event

#: Twitch badge set ids → WaddleBot roles (Twitch admin/staff map to nothing).
BADGE_ROLES = {
    "broadcaster": "broadcaster",
    "moderator": "moderator",
    "lead_moderator": "moderator",
    "vip": "vip",
    "subscriber": "subscriber",
    "founder": "subscriber",
}
ANONYMOUS = {"platform_user_id": "anonymous", "username": "anonymous", "display_name": "Anonymous"}


@dataclass(slots=True, frozen=True)
class Notification:
    """One verified notification: the header message id, its time, type and `event`."""

    message_id: str
    occurred_at: datetime
    subscription_type: str
    event: dict[str, Any]


Normaliser = Callable[[Notification], Event | None]


def roles_from_badges(badges: Any) -> list[str]:
    roles: list[str] = []
    for badge in badges if isinstance(badges, list) else []:
        role = BADGE_ROLES.get(str(badge.get("set_id", ""))) if isinstance(badge, dict) else None
        if role and role not in roles:
            roles.append(role)
    return roles


def _user(e: dict[str, Any], prefix: str = "user", roles: list[str] | None = None) -> dict[str, Any]:
    user_id = e.get(f"{prefix}_id")
    if not user_id:
        return dict(ANONYMOUS, roles=roles or [])
    login = e.get(f"{prefix}_login") or str(user_id)
    return {
        "platform_user_id": str(user_id),
        "username": login,
        "display_name": e.get(f"{prefix}_name") or login,
        "roles": roles or [],
    }


def _event(n: Notification, kind: str, server_id: str, user: dict[str, Any], **extra: Any) -> Event:
    return Event.model_validate(
        {
            "event_id": f"twitch:{n.message_id}",
            "platform": "twitch",
            "server_id": server_id,
            "channel_id": server_id,
            "user": user,
            "type": kind,
            "reply": {"kind": "chat"},
            "occurred_at": n.occurred_at,
            **extra,
        }
    )


def chat_message(n: Notification) -> Event | None:
    e = n.event
    source = e.get("source_broadcaster_user_id")
    if source and source != e.get("broadcaster_user_id"):
        return None  # shared chat: the source channel's own subscription answers it
    message = e.get("message") or {}
    cheer = e.get("cheer") or {}
    metadata = {"message_type": e.get("message_type", "text")}
    if cheer.get("bits"):
        metadata["bits"] = cheer["bits"]
    fragments = message.get("fragments")
    if isinstance(fragments, list):  # Twitch marks emotes: the moderation emote filter counts them
        metadata["emotes"] = sum(1 for f in fragments if isinstance(f, dict) and f.get("type") == "emote")
    if e.get("broadcaster_user_name"):  # who a quote is credited to by default (memories)
        metadata["broadcaster_name"] = str(e["broadcaster_user_name"])[:100]
    message_id = str(e["message_id"])
    return _event(
        n,
        "chat_message",
        str(e["broadcaster_user_id"]),
        _user(e, "chatter_user", roles_from_badges(e.get("badges"))),
        event_id=f"twitch:{message_id}",
        reply={"kind": "chat", "message_id": message_id},
        text=str(message.get("text", ""))[:4000],
        metadata=metadata,
    )


def follow(n: Notification) -> Event:
    e = n.event
    meta = {"followed_at": e.get("followed_at")}
    return _event(n, "follow", str(e["broadcaster_user_id"]), _user(e), metadata=meta)


def subscribe(n: Notification) -> Event:
    e = n.event
    meta = {"tier": e.get("tier"), "is_gift": bool(e.get("is_gift"))}
    return _event(n, "subscription", str(e["broadcaster_user_id"]), _user(e), metadata=meta)


def gift(n: Notification) -> Event:
    e = n.event
    anonymous = bool(e.get("is_anonymous"))
    user = dict(ANONYMOUS, roles=[]) if anonymous else _user(e)
    meta = {
        "tier": e.get("tier"),
        "total": e.get("total"),
        "cumulative_total": e.get("cumulative_total"),
        "is_anonymous": anonymous,
    }
    return _event(n, "gift_subscription", str(e["broadcaster_user_id"]), user, metadata=meta)


def cheer(n: Notification) -> Event:
    e = n.event
    anonymous = bool(e.get("is_anonymous"))
    user = dict(ANONYMOUS, roles=[]) if anonymous else _user(e)
    meta = {"bits": e.get("bits"), "is_anonymous": anonymous}
    text = str(e.get("message") or "")[:4000]
    return _event(n, "cheer", str(e["broadcaster_user_id"]), user, text=text, metadata=meta)


def raid(n: Notification) -> Event:
    e = n.event
    meta = {"viewers": e.get("viewers"), "from_broadcaster_login": e.get("from_broadcaster_user_login")}
    return _event(
        n, "raid", str(e["to_broadcaster_user_id"]), _user(e, "from_broadcaster_user"), metadata=meta
    )


def stream_online(n: Notification) -> Event:
    e = n.event
    meta = {"stream_id": e.get("id"), "stream_type": e.get("type"), "started_at": e.get("started_at")}
    user = _user(e, "broadcaster_user", ["broadcaster"])
    return _event(n, "stream_online", str(e["broadcaster_user_id"]), user, metadata=meta)


def stream_offline(n: Notification) -> Event:
    e = n.event
    user = _user(e, "broadcaster_user", ["broadcaster"])
    return _event(n, "stream_offline", str(e["broadcaster_user_id"]), user)


NORMALISERS: dict[str, Normaliser] = {
    "channel.chat.message": chat_message,
    "channel.follow": follow,
    "channel.subscribe": subscribe,
    "channel.subscription.gift": gift,
    "channel.cheer": cheer,
    "channel.raid": raid,
    "stream.online": stream_online,
    "stream.offline": stream_offline,
}


def normalise(n: Notification) -> Event | None:
    """The router event for a notification, or None for types WaddleBot does not use."""
    handler = NORMALISERS.get(n.subscription_type)
    return handler(n) if handler is not None else None
