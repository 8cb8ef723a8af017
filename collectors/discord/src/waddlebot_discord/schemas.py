"""Interaction responses the webhook sends Discord (documented shapes, for OpenAPI and tests)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class InteractionMessage(BaseModel):
    content: str
    allowed_mentions: dict[str, list[str]] = Field(default_factory=lambda: {"parse": list[str]()})
    flags: int | None = None  # 64 = ephemeral


class InteractionResponse(BaseModel):
    """1 = PONG, 4 = message now, 5 = deferred (edit `@original` later), 8 = autocomplete."""

    type: Literal[1, 4, 5, 8]
    data: InteractionMessage | dict[str, Any] | None = None
