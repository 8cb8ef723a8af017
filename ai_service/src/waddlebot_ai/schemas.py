"""Request and response models of the AI's internal API (quart-schema + pydantic)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Greetings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    follow: bool | None = None
    subscription: bool | None = None
    raid: bool | None = None
    cheer: bool | None = None


class CommunitySettingsIn(BaseModel):
    """`PUT …/settings`: the fields given change; `null` goes back to the service default."""

    model_config = ConfigDict(extra="forbid")
    provider: Literal["ollama", "waddleai"] | None = None
    model: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    persona: Annotated[str, Field(max_length=2000)] | None = None
    system_prompt: Annotated[str, Field(max_length=4000)] | None = None
    mentions: bool | None = None
    greetings: Greetings | None = None


class CommunitySettingsOut(BaseModel):
    community_id: int
    provider: str | None
    model: str | None
    persona: str | None
    system_prompt: str | None
    mentions: bool
    greetings: dict[str, bool]
    effective: dict[str, str]


class KeyUsage(BaseModel):
    key_id: str
    user_id: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    last_used_at: float | None
