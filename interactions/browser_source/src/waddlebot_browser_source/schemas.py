"""Request and response bodies of the browser_source API (portal and service facing)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

Source = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")]


class OverlayItemIn(BaseModel):
    index: int = Field(ge=0, le=1000)
    source: Source
    payload: dict[str, Any] = Field(default_factory=dict)


class OverlayPush(BaseModel):
    """Overlay responses of one invocation (the router) or one module event (music)."""

    invocation_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    community_id: int = Field(ge=1, le=2**63 - 1)
    items: list[OverlayItemIn] = Field(max_length=50)


class PushResult(BaseModel):
    published: int


class OverlayOut(BaseModel):
    kind: str
    url: str
    preview_url: str


class OverlayList(BaseModel):
    """§12's page shape: every kind on one page (there are five)."""

    items: list[OverlayOut]
    next_cursor: str | None = None
    grace_seconds: float | None = None


class OverlayQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None
    q: str | None = Field(default=None, max_length=100)
    sort: str | None = Field(default=None, pattern=r"^-?kind$")
