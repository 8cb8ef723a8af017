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
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    user_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    global_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    cost: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    enabled: bool | None = None
    cooldown_message: Annotated[str, Field(max_length=300)] | None = None


class LateAnswerStatus(BaseModel):
    invocation_id: str
    status: str
    responses: list[dict[str, Any]] = Field(default_factory=list)
