"""Request and response models of the alias API (quart-schema + pydantic)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from flask_core import Event

from .service import Alias, Expansion


class AliasOut(BaseModel):
    name: str
    text: str
    role: str
    cooldown: float | None
    uses: int
    command: str | None  # the command an alias of a command runs, else None (a custom command)

    @classmethod
    def of(cls, alias: Alias) -> AliasOut:
        return cls(name=alias.name, text=alias.body, role=alias.role, cooldown=alias.cooldown,
                   uses=alias.uses, command=alias.target)  # fmt: skip


class AliasList(BaseModel):
    items: list[AliasOut]
    next_cursor: str | None = None


class AliasIn(BaseModel):
    """`POST …/aliases` (the portal's add form): the same rules as `!alias add`, but the name is
    written without "!" here (a leading "!" is refused, not dropped)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    role: str = "everyone"
    cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    created_by: dict[str, Any] | None = None  # who added it ({username, …}; the portal's user)


class ExpandIn(BaseModel):
    event: Event
    args: list[str] = Field(default_factory=list, max_length=64)
    args_text: str = Field(default="", max_length=4000)
    invocation_id: str = Field(min_length=1, max_length=120)


class ExpansionOut(BaseModel):
    name: str
    kind: str  # "command": the router resolves `text` again; "text": the answer
    text: str
    count: int | None = None

    @classmethod
    def of(cls, expansion: Expansion) -> ExpansionOut:
        return cls(name=expansion.name, kind=expansion.kind, text=expansion.text, count=expansion.count)
