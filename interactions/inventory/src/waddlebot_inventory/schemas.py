"""Request and response models of the inventory API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .models import DESCRIPTION_MAX, NAME_MAX
from .service import AuditEntry, Checkout, Holding, Item

Cursor = Annotated[str, StringConstraints(max_length=200)]
Q = Annotated[str, StringConstraints(max_length=NAME_MAX)]


class ItemOut(BaseModel):
    id: int
    community_id: int
    name: str
    qty: int
    description: str | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        return cls(
            id=item.id, community_id=item.community_id, name=item.name, qty=item.qty,
            description=item.description, created_at=item.created_at, updated_at=item.updated_at,
        )  # fmt: skip


class ItemIn(BaseModel):
    """`POST …/items`: add `qty` to the stock of `name` (created when new)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
    qty: int = Field(default=1, ge=1, le=1_000_000)


class ItemPatch(BaseModel):
    """`PATCH …/items/<id>`: rename (a name another item has is a 409 `name_taken`) and/or
    describe (`null`: no description). The stock moves through `…/stock`, not here."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)] | None = None
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)] | None = None


class DeleteQuery(BaseModel):
    """`DELETE …/items/<id>?force=true` also deletes an item someone holds (closing the loans)."""

    force: bool = False


class StockIn(BaseModel):
    """`POST …/items/<id>/stock`: change the stock by `delta`; below zero is a 409."""

    model_config = ConfigDict(extra="forbid")
    delta: int = Field(ge=-1_000_000, le=1_000_000)


class ItemQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None
    q: Q | None = None
    sort: Literal["name", "-name", "qty", "-qty", "created_at", "-created_at"] = "name"


class ItemPage(BaseModel):
    items: list[ItemOut]
    next_cursor: str | None = None


class HoldingOut(BaseModel):
    item_id: int
    item_name: str
    holder: str
    holder_name: str
    qty: int

    @classmethod
    def of(cls, h: Holding) -> HoldingOut:
        return cls(
            item_id=h.item_id, item_name=h.item_name, holder=h.holder, holder_name=h.holder_name, qty=h.qty
        )


class HoldingQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None
    q: Q | None = None
    holder: Annotated[str, StringConstraints(max_length=120)] | None = None
    sort: Literal["holder"] = "holder"


class HoldingPage(BaseModel):
    items: list[HoldingOut]
    next_cursor: str | None = None


class CheckoutOut(BaseModel):
    id: int
    item_id: int
    item_name: str
    holder: str
    holder_name: str
    due_at: datetime
    returned_at: datetime | None
    overdue: bool

    @classmethod
    def of(cls, c: Checkout, now: datetime) -> CheckoutOut:
        return cls(
            id=c.id, item_id=c.item_id, item_name=c.item_name, holder=c.holder, holder_name=c.holder_name,
            due_at=c.due_at, returned_at=c.returned_at, overdue=c.returned_at is None and c.due_at <= now,
        )  # fmt: skip


class CheckoutQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None
    q: Q | None = None
    state: Literal["open", "overdue", "all"] = "open"
    sort: Literal["due_at"] = "due_at"


class CheckoutPage(BaseModel):
    items: list[CheckoutOut]
    next_cursor: str | None = None


class AuditOut(BaseModel):
    """One change: who (`actor`), what (`action`, `item_name`, `qty`, `holder`), before, after, when."""

    id: int
    item_id: int
    item_name: str
    action: str
    actor: str
    holder: str | None
    qty: int
    stock_before: int
    stock_after: int
    held_before: int | None
    held_after: int | None
    detail: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, a: AuditEntry) -> AuditOut:
        return cls(
            id=a.id, item_id=a.item_id, item_name=a.item_name, action=a.action, actor=a.actor,
            holder=a.holder, qty=a.qty, stock_before=a.stock_before, stock_after=a.stock_after,
            held_before=a.held_before, held_after=a.held_after, detail=a.detail, created_at=a.created_at,
        )  # fmt: skip


class AuditQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: Cursor | None = None
    q: Q | None = None
    sort: Literal["-created_at", "created_at"] = "-created_at"


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None = None
