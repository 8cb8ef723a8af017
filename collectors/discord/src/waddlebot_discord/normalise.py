"""Discord payloads → router events (§4.1): interactions and gateway messages.

Slash commands: one command per top-level name with an optional string option `args`
(`/quote args:add hello` → `!quote add hello`); subcommands, if a command ever has
them, add their names in order. Components and modal submits → type `interaction`
with `metadata.action_id` = the component's `custom_id` (`<prefix>:<action>`).
Event ids: `discord:{interaction id}` and, for gateway messages, `discord:{message id}`.
Roles come from the permission bitfield (ARCHITECTURE §10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_core.events import Event

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
MANAGE_MESSAGES = 1 << 13
MODERATE_MEMBERS = 1 << 40
DISCORD_EPOCH_MS = 1_420_070_400_000

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2


@dataclass(slots=True, frozen=True)
class GuildInfo:
    """What the gateway's cache knows of a guild: its owner and each role's permissions."""

    owner_id: str = ""
    role_permissions: dict[str, int] = field(default_factory=dict)  # the @everyone role id = guild id


def roles_from_permissions(permissions: int | str | None) -> list[str]:
    """ADMINISTRATOR or MANAGE_GUILD → broadcaster; MODERATE_MEMBERS or MANAGE_MESSAGES → moderator."""
    try:
        bits = int(permissions or 0)
    except (TypeError, ValueError):
        return []
    if bits & (ADMINISTRATOR | MANAGE_GUILD):
        return ["broadcaster"]
    if bits & (MODERATE_MEMBERS | MANAGE_MESSAGES):
        return ["moderator"]
    return []


def member_permissions(guild_id: str, user_id: str, role_ids: list[str], guild: GuildInfo) -> int:
    """A member's guild-level permissions: the owner has all; else @everyone | each role."""
    if guild.owner_id and guild.owner_id == user_id:
        return ADMINISTRATOR
    bits = guild.role_permissions.get(guild_id, 0)
    for role_id in role_ids:
        bits |= guild.role_permissions.get(str(role_id), 0)
    return bits


def snowflake_time(snowflake: str) -> datetime:
    try:
        return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def _user(user: Mapping[str, Any], nick: Any, roles: list[str]) -> dict[str, Any]:
    username = str(user.get("username") or user["id"])
    display = str(nick or user.get("global_name") or username)
    return {
        "platform_user_id": str(user["id"]),
        "username": username,
        "display_name": display[:100],
        "roles": roles,
    }


def command_words(data: Mapping[str, Any]) -> list[str]:
    """`name [subcommand...] [args]` of an application command's data."""
    words = [str(data.get("name", "")).strip()]
    options = data.get("options") or []
    while options:
        nested: list[Any] = []
        for option in options:
            if option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
                words.append(str(option.get("name", "")))
                nested = option.get("options") or []
            elif option.get("value") not in (None, ""):
                words.append(str(option["value"]).strip())
        options = nested
    return [w for w in words if w]


def interaction_event(ix: Mapping[str, Any], application_id: str | None = None) -> Event | None:
    """A guild interaction (command, component or modal) → router event; None for others.

    An interaction without `application_id` is answered as `application_id` (the
    collector passes DISCORD_APPLICATION_ID).
    """
    kind, data = ix.get("type"), ix.get("data") or {}
    app_id = ix.get("application_id") or application_id
    member = ix.get("member")
    if not ix.get("guild_id") or not isinstance(member, Mapping):
        return None  # direct messages: answered by the webhook itself
    roles = roles_from_permissions(member.get("permissions"))
    fields: dict[str, Any]
    if kind == APPLICATION_COMMAND:
        text = "!" + " ".join(command_words(data))
        fields = {"type": "slash_command", "text": text, "metadata": {"command": data.get("name")}}
    elif kind in (MESSAGE_COMPONENT, MODAL_SUBMIT):
        action = {"action_id": data.get("custom_id"), "values": data.get("values") or []}
        fields = {"type": "interaction", "metadata": action}
    else:
        return None
    return Event.model_validate(
        {
            "event_id": f"discord:{ix['id']}",
            "platform": "discord",
            "server_id": str(ix["guild_id"]),
            "channel_id": str(ix.get("channel_id") or (ix.get("channel") or {}).get("id")),
            "user": _user(member["user"], member.get("nick"), roles),
            "reply": {
                "kind": "discord_interaction",
                "interaction_id": str(ix["id"]),
                "application_id": str(app_id) if app_id else None,
                "interaction_token": str(ix["token"]),
            },
            "occurred_at": snowflake_time(str(ix["id"])),
            **fields,
        }
    )


def message_event(d: Mapping[str, Any], guild: GuildInfo | None) -> Event | None:
    """A gateway MESSAGE_CREATE → `chat_message`; bots, webhooks and DMs → None."""
    author = d.get("author") or {}
    if author.get("bot") or author.get("system") or d.get("webhook_id") or not d.get("guild_id"):
        return None
    guild_id, member = str(d["guild_id"]), d.get("member") or {}
    roles: list[str] = []
    if guild is not None:
        roles = roles_from_permissions(
            member_permissions(guild_id, str(author["id"]), list(member.get("roles") or []), guild)
        )
    return Event.model_validate(
        {
            "event_id": f"discord:{d['id']}",
            "platform": "discord",
            "server_id": guild_id,
            "channel_id": str(d["channel_id"]),
            "user": _user(author, member.get("nick"), roles),
            "type": "chat_message",
            "text": str(d.get("content") or "")[:4000],
            "reply": {"kind": "chat", "message_id": str(d["id"])},
            "occurred_at": snowflake_time(str(d["id"])),
        }
    )
