"""Request and response models of the labels API (quart-schema + pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .models import CATEGORY_MAX, ENTITY_ID_MAX, NAME_MAX
from .service import Label, Tagged

Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Category = Annotated[str, StringConstraints(min_length=1, max_length=CATEGORY_MAX)]
Sort = Literal["name", "-name", "created_at", "-created_at"]


class LabelIn(BaseModel):
    """`POST …/labels`: a new label; `system` labels are immutable once made."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    colour: Colour = "#9e9e9e"
    category: Category = "general"
    system: bool = False


class LabelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    colour: Colour | None = None
    category: Category | None = None


class LabelOut(BaseModel):
    id: int
    community_id: int
    name: str
    colour: str
    category: str
    system: bool
    created_at: datetime

    @classmethod
    def of(cls, label: Label) -> LabelOut:
        return cls(
            id=label.id, community_id=label.community_id, name=label.name, colour=label.colour,
            category=label.category, system=label.system, created_at=label.created_at,
        )  # fmt: skip


class LabelQuery(BaseModel):
    """`GET …/labels?limit=&cursor=&q=&sort=`."""

    limit: int = Field(default=20, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    q: Annotated[str, StringConstraints(max_length=NAME_MAX)] | None = None
    sort: Sort = "name"


class LabelPage(BaseModel):
    items: list[LabelOut]
    next_cursor: str | None = None


class AssignIn(BaseModel):
    """`POST …/entities/<type>/<id>/labels`: put a label on (created when new, unless `create` is false)."""

    model_config = ConfigDict(extra="forbid")
    label: Name
    create: bool = True


class EntityLabels(BaseModel):
    """An entity's labels (the new state after a write)."""

    entity_type: str
    entity_id: str
    items: list[LabelOut]
    next_cursor: str | None = None


class SearchQuery(BaseModel):
    """`GET …/entities?labels=a,b&match=any|all&type=&limit=&cursor=`."""

    labels: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    match: Literal["any", "all"] = "any"
    type: Literal["user", "item", "event", "quote", "command"] | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    q: Annotated[str, StringConstraints(max_length=ENTITY_ID_MAX)] | None = None
    sort: Literal["entity"] = "entity"


class TaggedOut(BaseModel):
    entity_type: str
    entity_id: str
    labels: list[str]

    @classmethod
    def of(cls, tagged: Tagged) -> TaggedOut:
        return cls(entity_type=tagged.entity_type, entity_id=tagged.entity_id, labels=tagged.labels)


class SearchPage(BaseModel):
    items: list[TaggedOut]
    next_cursor: str | None = None
