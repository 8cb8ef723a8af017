"""Request and response models of the gateway_admin API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:@-]+$")]
Group = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]


class PageQuery(BaseModel):
    limit: int = Field(default=100, ge=1, le=1000)
    # Kong's offsets are base64 text; anything else never came from this API.
    cursor: Annotated[str, StringConstraints(max_length=500, pattern=r"^[A-Za-z0-9+/_=-]+$")] | None = None


class ConsumerIn(BaseModel):
    """An operator, or a community's API user (its custom_id is the community's)."""

    model_config = ConfigDict(extra="forbid")
    username: Name
    custom_id: Name | None = None
    kind: Literal["operator", "community"] = "community"
    groups: list[Group] = Field(default_factory=list, max_length=20)


class ConsumerOut(BaseModel):
    id: str
    username: str | None
    custom_id: str | None
    tags: list[str] | None = None
    created_at: int | None = None
    groups: list[str] = Field(default_factory=list)


class ConsumerPage(BaseModel):
    items: list[ConsumerOut]
    next_cursor: str | None = None


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Annotated[str, StringConstraints(max_length=200)] | None = None


class KeyOut(BaseModel):
    id: str
    prefix: str  # wbk_<id>: how the key is named in lists and logs
    consumer_id: str
    label: str | None
    created_by: str | None
    created_at: datetime
    revoked_at: datetime | None = None


class NewKey(KeyOut):
    key: str  # the whole key, shown this once


class KeyList(BaseModel):
    items: list[KeyOut]
    next_cursor: str | None = None


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Annotated[str, StringConstraints(max_length=200)]


class Verified(BaseModel):
    valid: bool
    key: KeyOut | None = None


class Groups(BaseModel):
    consumer_id: str
    groups: list[str]


class AuditOut(BaseModel):
    id: int
    service: str | None
    actor: str | None
    action: str
    resource: str
    resource_id: str | None
    before: Any = None
    after: Any = None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None = None
