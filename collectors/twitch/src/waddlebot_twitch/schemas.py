"""Response models of the Twitch collector's own endpoints (for OpenAPI and tests)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CollectorStatusOut(BaseModel):
    """`GET /twitch/api/v1/status`."""

    status: Literal["enabled", "disabled"]
    missing: list[str] = Field(default_factory=list)
    outbox_pending: int | None = None
    outbox_worker: bool = False
