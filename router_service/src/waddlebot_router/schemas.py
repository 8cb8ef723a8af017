"""Request and response models of the router's API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from flask_core.events import EventResult, Role


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


class LateAnswerStatus(BaseModel):
    invocation_id: str
    status: str
    responses: list[dict[str, Any]] = Field(default_factory=list)
