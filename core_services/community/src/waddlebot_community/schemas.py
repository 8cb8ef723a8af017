"""Request and response models of the community API (quart-schema + pydantic)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from flask_core.events import Id, Platform

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Owner(BaseModel):
    platform_user_id: Id
    username: Annotated[str, StringConstraints(max_length=100)] = ""


class ResolveIn(BaseModel):
    """`POST /community/api/v1/communities:resolve` (the router, on a cache miss)."""

    model_config = ConfigDict(extra="forbid")
    platform: Platform
    server_id: Id
    owner: Owner | None = None
    provision: bool = True  # False for events from `web` (§12): find only


class ResolveOut(BaseModel):
    community_id: int


class SettingsPatch(BaseModel):
    """A community's settings; a field sent as null goes back to its default."""

    model_config = ConfigDict(extra="forbid")
    command_prefix: Annotated[str, StringConstraints(pattern=r"^[!$%&*+.?~^-]$")] | None = None
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    locale: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")] | None = None
    default_user_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    default_global_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    moderators_skip_limits: bool | None = None


class CommunityPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    settings: SettingsPatch = Field(default_factory=SettingsPatch)


class CommunityOut(BaseModel):
    id: int
    name: str
    owner_platform: str | None = None
    owner_platform_user_id: str | None = None
    settings: dict[str, Any]
    platforms: list[str]
    created_at: str | None = None


class CommunityList(BaseModel):
    items: list[CommunityOut]
    next_cursor: str | None = None


class TimeZoneOut(BaseModel):
    """`GET …/communities/{id}/time-zone`: what calendar and memories read."""

    community_id: int
    time_zone: str
    locale: str


class EntityOut(BaseModel):
    id: int
    community_id: int
    platform: str
    server_id: str
    created_at: str | None = None
    linked_at: str | None = None


class LinkCodeOut(BaseModel):
    """A one-time code (single use) that links another platform's server to this community."""

    code: str
    expires_in: float  # seconds
    command: str  # `!community link <code>`, typed there by that server's owner


class EntityList(BaseModel):
    items: list[EntityOut]
    next_cursor: str | None = None


class MemberOut(BaseModel):
    id: int
    community_id: int
    platform: str
    platform_user_id: str
    username: str | None = None
    role: str  # what the bot uses: the override when set, else the platform's
    platform_role: str  # mirrored from the platform (the highest role last seen in chat)
    role_override: str | None = None  # set in the portal (decision 0077)
    last_seen: str | None = None


class MemberList(BaseModel):
    items: list[MemberOut]
    next_cursor: str | None = None


#: The roles the portal may give (flask_core.events.Role below the broadcaster).
Grantable = Literal["everyone", "regular", "subscriber", "vip", "moderator"]


class MemberPatch(BaseModel):
    """`PATCH …/members/{id}`: `role` overrides the platform's (`null`: mirror it again).
    The broadcaster's own role is a 409 `broadcaster_role`."""

    model_config = ConfigDict(extra="forbid")
    role: Grantable | None


class RoleOverride(BaseModel):
    platform: str
    platform_user_id: str
    role: str


class RoleOverrides(BaseModel):
    """`GET …/roles`: every override of the community (what the router applies, cached)."""

    community_id: int
    items: list[RoleOverride]
