"""The contracts of ARCHITECTURE §4 as typed models, shared by every service."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Platform = Literal["twitch", "discord", "slack", "web"]
Role = Literal["everyone", "regular", "subscriber", "vip", "moderator", "broadcaster", "admin"]
ROLE_ORDER: tuple[str, ...] = (
    "everyone", "regular", "subscriber", "vip", "moderator", "broadcaster", "admin",
)  # fmt: skip
EventType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=4000)]

STATUSES = ("processed", "duplicate", "ignored", "rejected", "rate_limited", "failed")
Status = Literal["processed", "duplicate", "ignored", "rejected", "rate_limited", "failed"]
MAX_BATCH = 100


ROLE_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLE_ORDER)}


def role_rank(role: str) -> int:
    """A role's rank; unknown roles rank as `everyone`."""
    return ROLE_RANK.get(role, 0)


def role_at_least(role: str | None, minimum: str) -> bool:
    """True when `role` ranks at or above `minimum`; unknown or missing roles rank lowest."""
    if minimum not in ROLE_RANK:
        raise ValueError(f"unknown role {minimum!r}; expected one of {', '.join(ROLE_ORDER)}")
    if role is None or role not in ROLE_RANK:
        return False
    return ROLE_RANK[role] >= ROLE_RANK[minimum]


def highest_role(roles: Iterable[str]) -> str:
    """The highest known role of `roles`; `everyone` when none is known."""
    known = [role for role in roles if role in ROLE_RANK]
    return max(known, key=ROLE_RANK.__getitem__, default="everyone")


#: The fixed namespace of invocation ids (§11): uuid5(INVOCATION_NAMESPACE, event_id).
INVOCATION_NAMESPACE = uuid.UUID("6f1d4e2a-57c3-5b8e-9a0d-3c2b1e4f5a60")


_NAMESPACE_BYTES = INVOCATION_NAMESPACE.bytes


def invocation_id_for(event_id: str, module: str | None = None) -> str:
    """The invocation id of an event (or of its fan-out to `module`): the same on every retry.

    `uuid.uuid5(INVOCATION_NAMESPACE, name).hex`, computed without building a `UUID` (run
    once per event on the batch path, where the object cost more than the hash)."""
    name = event_id if module is None else f"{event_id}|{module}"
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return digest.hex()


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)


class EventUser(_Model):
    platform_user_id: Id
    username: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    display_name: Annotated[str, StringConstraints(max_length=100)] = ""
    roles: list[Role] = Field(default_factory=list, max_length=10)


class Reply(_Model):
    """Where and how to answer: platform kinds go through a collector; inline only returns."""

    model_config = ConfigDict(extra="allow")
    kind: Literal["chat", "discord_interaction", "slack_response_url", "inline"] = "inline"
    message_id: str | None = None
    thread_ts: str | None = None
    application_id: str | None = None
    interaction_token: str | None = None
    response_url: str | None = None


class Event(_Model):
    """One event from a collector (or the CLI/portal) to the router (§4.1)."""

    event_id: Id
    platform: Platform
    server_id: Id
    channel_id: Id
    user: EventUser
    type: EventType = "chat_message"
    text: Text = ""
    reply: Reply = Field(default_factory=Reply)
    metadata: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime = Field(default_factory=utcnow)


class EventBatch(_Model):
    events: list[dict[str, Any]]


class ChatResponse(_Model):
    type: Literal["chat"] = "chat"
    text: Text


class DMResponse(_Model):
    type: Literal["dm"] = "dm"
    text: Text


class OverlayResponse(_Model):
    type: Literal["overlay"] = "overlay"
    source: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")]
    payload: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(_Model):
    type: Literal["error"] = "error"
    code: str
    text: Text


class ModerationResponse(_Model):
    """A moderation action the collector carries out as the bot (§4.4, §12).

    `user` is the offender's platform user id, `message_id` the offending message (delete),
    `duration` seconds (timeout), `reason` the rule's reason (audit logs, ban reason) and
    `text` an optional notice posted to the chat after the action (a `warn` is only that).
    """

    type: Literal["moderation"] = "moderation"
    action: Literal["delete", "timeout", "warn"]
    user: Id
    username: Annotated[str, StringConstraints(max_length=100)] = ""
    duration: int | None = Field(default=None, ge=1, le=1_209_600)  # Twitch's maximum: 2 weeks
    reason: Annotated[str, StringConstraints(max_length=500)] = ""
    message_id: str | None = None
    text: Text = ""


AnyResponse = Annotated[
    ChatResponse | DMResponse | OverlayResponse | ErrorResponse | ModerationResponse,
    Field(discriminator="type"),
]


class EventResult(_Model):
    event_id: str
    status: Status
    responses: list[dict[str, Any]] = Field(default_factory=list)
    pending: bool = False
    invocation_id: str | None = None
    #: How many `dm` responses were delivered privately and left out of `responses`
    #: (every reply kind but `inline`, §12); unset when none.
    private: int | None = None


class Identity(_Model):
    user_id: str
    linked: bool = False


class CommandRequest(_Model):
    """Router → module (§4.3)."""

    event: Event
    community_id: str
    command: str
    args: list[str] = Field(default_factory=list)
    args_text: str = ""
    identity: Identity | None = None
    invocation_id: str


class CommandResult(_Model):
    responses: list[AnyResponse] = Field(default_factory=list)


class CommandBatch(_Model):
    requests: list[CommandRequest] = Field(max_length=MAX_BATCH)


class CommandBatchItem(_Model):
    status: Literal["ok", "accepted", "error"] = "ok"
    responses: list[AnyResponse] = Field(default_factory=list)
    error: str | None = None


class CommandBatchResult(_Model):
    results: list[CommandBatchItem]


class LateResponses(_Model):
    """A module's late answer (§4.4a)."""

    invocation_id: Id
    responses: list[AnyResponse] = Field(min_length=1, max_length=20)


class AskingUser(_Model):
    """Who asked (§12): the one user a `dm` response goes to."""

    platform_user_id: Id
    username: Annotated[str, StringConstraints(max_length=100)] = ""


class Delivery(_Model):
    """Router → collector (§4.4): deliver these responses, idempotent per index."""

    invocation_id: Id
    server_id: Id
    channel_id: Id
    reply: Reply
    responses: list[AnyResponse] = Field(max_length=20)
    #: The asking user; `dm` responses without one are dropped (`dm_without_user`).
    user: AskingUser | None = None


class DeliveryAccepted(_Model):
    """202 from a collector: how many responses were queued, repeated or skipped."""

    queued: int
    duplicates: int
    skipped: int


CommandPath = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+( [a-z0-9_]+)*$", max_length=64)]


class ManifestCommand(_Model):
    path: CommandPath
    description: str = ""
    usage: str = ""
    role: Role = "everyone"
    # None = unset (the community's value, else none per user and ROUTER_DEFAULT_COOLDOWN
    # shared); 0 = explicitly no cooldown (ARCHITECTURE §12).
    user_cooldown: float | None = None
    global_cooldown: float | None = None
    cost: int = 0
    #: Other paths that run this command (`quote rm` for `quote remove`); same role and cooldowns.
    aliases: list[CommandPath] = Field(default_factory=list, max_length=8)


class Manifest(_Model):
    """`GET /<prefix>/api/v1/manifest` (§4.6)."""

    name: str
    version: str = "0.1.0"
    description: str = ""
    commands: list[ManifestCommand] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)
    settings_schema: dict[str, Any] = Field(default_factory=dict)
    #: Seconds the router waits for one of these commands; None = the service table's
    #: default for the module's kind (interaction 5 s, ai 30 s).
    command_budget: float | None = Field(default=None, gt=0, le=300)
