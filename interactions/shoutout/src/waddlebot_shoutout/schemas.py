"""Request and response models of the shoutout API (quart-schema + pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .service import CommunitySettings


class SettingsIn(BaseModel):
    """Fields left out stay; `null` puts one back to its default."""

    live_template: str | None = Field(default=None, min_length=1, max_length=400)
    offline_template: str | None = Field(default=None, min_length=1, max_length=400)
    auto_raid: bool | None = None
    cooldown: float | None = Field(default=None, ge=0, le=86400)


class SettingsOut(BaseModel):
    live_template: str
    offline_template: str
    auto_raid: bool
    cooldown: float

    @classmethod
    def of(cls, s: CommunitySettings) -> SettingsOut:
        return cls(live_template=s.live_template, offline_template=s.offline_template,
                   auto_raid=s.auto_raid, cooldown=s.cooldown)  # fmt: skip
