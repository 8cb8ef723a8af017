"""Request and response models of the alias API (quart-schema + pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, Field

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
