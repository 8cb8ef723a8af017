"""Request and response models of the moderation API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from flask_core.events import Role

from .service import LogEntry

FilterName = Literal["links", "caps", "symbols", "repetition", "length", "emotes", "words"]
Domain = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z0-9.-]{1,253}$")
]
Word = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Pattern = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class FilterPatch(BaseModel):
    """One filter's values; only what is given changes. Each field applies to its filter."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    action: Literal["warn", "delete", "timeout"] | None = None  # where its escalation starts
    exempt: list[Role] | None = Field(default=None, max_length=7)  # None: the community's roles
    allow: list[Domain] | None = Field(default=None, max_length=200)  # links
    ratio: float | None = Field(default=None, gt=0, le=1)  # caps, symbols
    min_length: int | None = Field(default=None, ge=1, le=500)  # caps, symbols
    max_repeats: int | None = Field(default=None, ge=1, le=20)  # repetition
    window: int | None = Field(default=None, ge=1, le=3600)  # repetition
    max_run: int | None = Field(default=None, ge=2, le=500)  # repetition
    max: int | None = Field(default=None, ge=1, le=4000)  # length, emotes
    words: list[Word] | None = Field(default=None, max_length=500)  # words: plain words
    patterns: list[Pattern] | None = Field(default=None, max_length=50)  # words: regexes (checked)


class EscalationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeouts: list[Annotated[int, Field(ge=1, le=1_209_600)]] | None = Field(default=None, min_length=1,
                                                                             max_length=5)  # fmt: skip
    window: int | None = Field(default=None, ge=60, le=7 * 86400)  # how long offences count


class RulesPatch(BaseModel):
    """`PATCH …/rules`: only what is given changes."""

    model_config = ConfigDict(extra="forbid")
    exempt_roles: list[Role] | None = Field(default=None, max_length=7)
    escalation: EscalationPatch | None = None
    filters: dict[FilterName, FilterPatch] | None = None

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.exempt_roles is not None:
            out["exempt_roles"] = list(self.exempt_roles)
        if self.escalation is not None:
            out["escalation"] = self.escalation.model_dump(exclude_none=True)
        if self.filters is not None:
            out["filters"] = {name: f.model_dump(exclude_none=True) for name, f in self.filters.items()}
        return out


class RulesOut(BaseModel):
    """A community's whole rule set (what the router caches and evaluates)."""

    community_id: int
    version: int
    exempt_roles: list[str]
    escalation: dict[str, Any]
    filters: dict[str, dict[str, Any]]
    permits: dict[str, float]


class LogRecordIn(BaseModel):
    community_id: int = Field(ge=1, le=2**63 - 1)
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    platform: str = Field(default="", max_length=16)
    channel_id: str = Field(default="", max_length=200)
    user_id: str = Field(default="", max_length=200)
    username: str = Field(default="", max_length=100)
    rule: FilterName
    action: Literal["warn", "delete", "timeout"]
    duration: int | None = None
    message: str = Field(default="", max_length=4000)
    at: datetime | None = None


class LogBatchIn(BaseModel):
    records: list[LogRecordIn] = Field(min_length=1, max_length=500)


class LogBatchOut(BaseModel):
    stored: int


class LogEntryOut(BaseModel):
    id: int
    event_id: str
    platform: str
    channel_id: str
    user_id: str
    username: str
    rule: str
    action: str
    duration: int | None
    message: str
    created_at: datetime | None

    @classmethod
    def of(cls, e: LogEntry) -> LogEntryOut:
        return cls(
            id=e.id,
            event_id=e.event_id,
            platform=e.platform,
            channel_id=e.channel_id,
            user_id=e.user_id,
            username=e.username,
            rule=e.rule,
            action=e.action,
            duration=e.duration,
            message=e.message,
            created_at=e.created_at.replace(tzinfo=UTC)
            if e.created_at and e.created_at.tzinfo is None
            else e.created_at,
        )  # fmt: skip  (stored as naive UTC)


class LogPage(BaseModel):
    items: list[LogEntryOut]
    next_cursor: str | None = None


class LogQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, pattern=r"^\d{1,19}$")
    q: str | None = Field(default=None, max_length=100)  # a username
