"""Points per activity, per community (defaults below; `PUT …/weights` edits them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flask_core import AsyncDAL
from flask_core.events import Event

Points = int


class Weights(BaseModel):
    """What each activity earns. Chat earns `chat_message` per line, at most
    `chat_per_minute_cap` points per user per minute."""

    model_config = ConfigDict(extra="forbid")
    chat_message: int = Field(default=1, ge=0, le=1000)
    chat_per_minute_cap: int = Field(default=5, ge=0, le=10_000)
    follow: int = Field(default=10, ge=0, le=100_000)
    subscription_tier1: int = Field(default=50, ge=0, le=100_000)
    subscription_tier2: int = Field(default=100, ge=0, le=100_000)
    subscription_tier3: int = Field(default=250, ge=0, le=100_000)
    gift_per_subscription: int = Field(default=25, ge=0, le=100_000)
    cheer_per_100_bits: int = Field(default=10, ge=0, le=100_000)
    raid: int = Field(default=25, ge=0, le=100_000)


DEFAULTS = Weights()
_TIERS = {"1000": "subscription_tier1", "2000": "subscription_tier2", "3000": "subscription_tier3"}


def _number(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def points_for(event: Event, weights: Weights) -> int:
    """Points a non-chat event earns its user (0: nothing to credit)."""
    meta = event.metadata
    if meta.get("is_anonymous"):
        return 0
    match event.type:
        case "follow":
            return weights.follow
        case "subscription":
            if meta.get("is_gift"):  # the gifter earns it (gift_subscription)
                return 0
            tier = _TIERS.get(str(meta.get("tier") or "1000"), "subscription_tier1")
            return int(getattr(weights, tier))
        case "gift_subscription":
            return weights.gift_per_subscription * min(_number(meta.get("total") or 1), 1000)
        case "cheer":
            return weights.cheer_per_100_bits * (min(_number(meta.get("bits")), 10_000_000) // 100)
        case "raid":
            return weights.raid
        case _:
            return 0


async def load(db: AsyncDAL, community_id: int) -> Weights:
    def read(d: Any) -> Any:
        t = d.reputation_weights
        return d(t.community_id == community_id).select(t.weights, limitby=(0, 1)).first()

    row = await db.read(read)
    if row is None:
        return DEFAULTS
    try:
        return Weights.model_validate({**DEFAULTS.model_dump(), **(row.weights or {})})
    except ValidationError:
        return DEFAULTS


async def store(db: AsyncDAL, community_id: int, weights: Weights) -> Weights:
    from datetime import UTC, datetime

    def write(d: Any) -> None:
        d.reputation_weights.update_or_insert(
            d.reputation_weights.community_id == community_id,
            community_id=community_id,
            weights=weights.model_dump(),
            updated_at=datetime.now(UTC).replace(tzinfo=None),
        )

    await db.run(write)
    return weights
