"""Request and response models of the quotes REST API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .models import AUTHOR_MAX_LENGTH, GAME_MAX_LENGTH, QUOTE_MAX_LENGTH, Creator, Quote

MAX_PAGE = 100


class CreatedBy(BaseModel):
    """Who added a quote (the portal passes its user; otherwise the calling service)."""

    model_config = ConfigDict(extra="forbid")
    platform: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    user_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    username: Annotated[str, StringConstraints(min_length=1, max_length=100)]

    def to_creator(self) -> Creator:
        return Creator(self.platform, self.user_id, self.username)


class QuoteIn(BaseModel):
    """`POST .../quotes`: a new quote; the number is assigned by the service."""

    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(min_length=1, max_length=QUOTE_MAX_LENGTH)]
    author: Annotated[str, StringConstraints(max_length=AUTHOR_MAX_LENGTH)] | None = None
    game: Annotated[str, StringConstraints(max_length=GAME_MAX_LENGTH)] | None = None
    created_by: CreatedBy | None = None


class QuoteQuery(BaseModel):
    """`GET .../quotes?q=&limit=&offset=` (or the portal's `cursor` and `sort`, §12)."""

    q: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: int = Field(default=20, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    cursor: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,7}$")] | None = None  # next_cursor
    sort: Literal["number", "-number"] = "-number"  # oldest or newest first

    @property
    def start(self) -> int:
        return int(self.cursor) if self.cursor is not None else self.offset


class CreatedByOut(BaseModel):
    platform: str
    user_id: str
    username: str


class QuoteOut(BaseModel):
    number: int
    text: str
    author: str | None
    game: str | None
    created_at: datetime
    created_by: CreatedByOut

    @classmethod
    def of(cls, quote: Quote) -> QuoteOut:
        by = quote.created_by
        return cls(
            number=quote.number,
            text=quote.text,
            author=quote.author or None,
            game=quote.game or None,
            created_at=quote.created_at,
            created_by=CreatedByOut(platform=by.platform, user_id=by.user_id, username=by.username),
        )


class QuoteList(BaseModel):
    """A page of quotes, newest first, and how many match in all."""

    items: list[QuoteOut]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = None  # the next page's `cursor`; None on the last page
