"""Request and response models of the reputation API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

UserId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_-]{1,32}$")]
ChargeId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_.:-]{1,200}$")]
MAX_PAGE = 100


class ChargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    charge_id: ChargeId
    user_id: UserId
    amount: int = Field(ge=1, le=1_000_000_000)
    reason: Annotated[str, StringConstraints(max_length=200)] = ""


class ChargeOut(BaseModel):
    charge_id: str
    balance: int


class RefundOut(BaseModel):
    charge_id: str
    balance: int
    refunded: bool = True


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_user_id: UserId
    into_user_id: UserId


class MergeOut(BaseModel):
    merged: bool  # False: this merge was applied before (a repeat)


class PageQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=MAX_PAGE)
    cursor: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")] | None = None
    q: Annotated[str, StringConstraints(max_length=100)] | None = None


class LeaderboardQuery(PageQuery):
    sort: Literal["balance", "-balance", "name"] = "balance"


class LedgerQuery(PageQuery):
    sort: Literal["newest", "oldest"] = "newest"


class LeaderboardItem(BaseModel):
    user_id: str
    name: str | None
    balance: int
    position: int


class Leaderboard(BaseModel):
    items: list[LeaderboardItem]
    next_cursor: str | None


class LedgerItem(BaseModel):
    id: int
    user_id: str
    amount: int
    reason: str
    ref: str | None
    balance_after: int
    created_at: datetime


class Ledger(BaseModel):
    items: list[LedgerItem]
    next_cursor: str | None
