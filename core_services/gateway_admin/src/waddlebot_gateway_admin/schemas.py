"""Request and response models of the gateway_admin API (quart-schema + pydantic)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from .service import Item


class ItemIn(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ItemOut(BaseModel):
    id: int
    community_id: int
    name: str

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        return cls(id=item.id, community_id=item.community_id, name=item.name)


class ItemList(BaseModel):
    items: list[ItemOut]
