"""Request and response models of the identity API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from flask_core.events import Platform

from .keys import ApiKey
from .service import User

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
#: No control characters: they are never part of a platform id or name, and PostgreSQL
#: refuses NUL in text (a 500 instead of the 422 a bad value deserves).
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
PlatformId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PRINTABLE)]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=_PRINTABLE)
]
Provider = Literal["twitch", "discord", "slack"]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: Platform
    platform_user_id: PlatformId
    username: Username
    display_name: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")] | None = (
        None
    )


class ResolveBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    identities: list[ResolveIn] = Field(min_length=1, max_length=100)


class IdentityOut(BaseModel):
    platform: str
    platform_user_id: str
    username: str


class UserOut(BaseModel):
    user_id: str
    linked: bool
    identities: list[IdentityOut]

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls.model_validate(user.as_dict())


class UserBatchOut(BaseModel):
    users: list[UserOut]


class LookupQuery(BaseModel):
    platform: Platform
    username: Username


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class KeyCreated(BaseModel):
    key: str
    key_id: str
    name: str
    expires_at: datetime


class KeyOut(BaseModel):
    key_id: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked: bool

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(
            key_id=key.key_id, name=key.name, created_at=key.created_at, expires_at=key.expires_at,
            revoked=key.revoked,
        )  # fmt: skip


class KeyList(BaseModel):
    items: list[KeyOut]


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class KeyVerified(BaseModel):
    key_id: str
    user_id: str
    name: str
    expires_at: datetime


class OAuthStartQuery(BaseModel):
    redirect_uri: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=1000)]
    purpose: Literal["login", "link"] = "login"
    user_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")] | None = None


class OAuthStarted(BaseModel):
    authorize_url: str
    state: str


class OAuthCallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    state: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    redirect_uri: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=1000)]


class OAuthDone(BaseModel):
    user_id: str
    platform: str
    platform_user_id: str
    username: str
    created: bool
