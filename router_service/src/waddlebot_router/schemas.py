"""Request and response models of the router's API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flask_core.events import MAX_BATCH, AnyResponse, Event, EventResult, Role

from .registry import CommandSpec


class Results(BaseModel):
    results: list[EventResult]


class ModuleToggle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


class CommandPatch(BaseModel):
    """Per-community command settings; a field sent as null goes back to the default."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    user_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    global_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    cost: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    enabled: bool | None = None
    cooldown_message: Annotated[str, Field(max_length=300)] | None = None


class CommunitySettingsPatch(BaseModel):
    """Router settings of one community; a missing field stays as it is."""

    model_config = ConfigDict(extra="forbid")
    moderators_skip_limits: bool | None = None  # default True: no cooldowns or user limit for mods


class CommunityFound(BaseModel):
    """`GET …/communities/by-platform/{platform}/{server_id}`."""

    community_id: int
    platform: str
    server_id: str


class CommunitySettingsOut(BaseModel):
    community_id: int
    settings: dict[str, Any]


class LateAnswerStatus(BaseModel):
    invocation_id: str
    status: Literal["answered", "pending"]
    responses: list[dict[str, Any]] = Field(default_factory=list)


class EventBatchIn(BaseModel):
    """`POST /router/api/v1/events/batch` (documented; checked per index by the route)."""

    events: list[Event] = Field(max_length=MAX_BATCH)


class LateAccepted(BaseModel):
    """202: the late answer is claimed and on its way."""

    invocation_id: str
    delivered: bool


class ModuleToggled(BaseModel):
    community_id: int
    module: str
    enabled: bool


class CommandList(BaseModel):
    """A community's command table, sorted by path."""

    commands: list[CommandSpec]


class CommandPatched(CommandPatch):
    """The new per-community settings of a command."""

    model_config = ConfigDict(extra="forbid")
    community_id: int
    path: str


#: `<prefix>:<kind>:<id>:<occurrence>` (§12), e.g. `memories:reminder:42:2026-12-01T09:00Z`.
MESSAGE_ID_PATTERN = (
    r"^[a-z][a-z0-9_]{0,31}:[a-z][a-z0-9_]{0,31}:[A-Za-z0-9_.-]{1,64}:[A-Za-z0-9_.:+-]{1,40}$"
)


class ModuleMessage(BaseModel):
    """`POST /router/api/v1/messages`: a module posts into a chat on its own (§11)."""

    model_config = ConfigDict(extra="forbid")
    message_id: Annotated[str, Field(pattern=MESSAGE_ID_PATTERN, max_length=180)]
    community_id: Annotated[int, Field(ge=1, le=2**62)]
    platform: Literal["twitch", "discord", "slack"]
    server_id: Annotated[str, Field(min_length=1, max_length=200)]
    channel_id: Annotated[str, Field(min_length=1, max_length=200)]
    responses: Annotated[list[AnyResponse], Field(min_length=1, max_length=20)]


class ModuleMessageResult(BaseModel):
    message_id: str
    status: Literal["delivered", "duplicate"]
