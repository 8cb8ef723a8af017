"""Read-only lists for the portal (§12 "The portal's proxy"): communities and their modules.

`GET /router/api/v1/communities` and `GET /router/api/v1/communities/{id}/modules`, with
`limit`, `cursor`, `q` (and `ids` for the communities) answering `{items, next_cursor}`.
The cursor is the last id (communities) or name (modules) of the previous page.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from flask_core.errors import ValidationFailed
from flask_core.resources import Resources

from .communities import load_config
from .registry import ROUTER, ModuleRegistry


class ListQuery(BaseModel):
    """Modules: sorted by `name` (or `-name`)."""

    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200)
    q: str | None = Field(default=None, max_length=200)
    sort: str | None = Field(default=None, pattern=r"^-?name$")


class CommunityQuery(ListQuery):
    """Communities: sorted by `id` (or `-id`); `ids` keeps only those (comma-separated)."""

    sort: str | None = Field(default=None, pattern=r"^-?id$")
    ids: str | None = Field(default=None, max_length=20_000)


class EntityOut(BaseModel):
    platform: str
    server_id: str


class CommunityOut(BaseModel):
    id: int
    name: str
    entities: list[EntityOut]


class CommunityPage(BaseModel):
    items: list[CommunityOut]
    next_cursor: str | None = None


class ModuleOut(BaseModel):
    name: str
    version: str
    description: str
    enabled: bool
    commands: list[str]


class ModulePage(BaseModel):
    items: list[ModuleOut]
    next_cursor: str | None = None


MAX_ID = 2**63 - 1


def _ids(text: str | None) -> list[int] | None:
    if text is None:
        return None
    found = [int(part) for part in text.split(",") if part.strip().isdigit() and len(part.strip()) <= 19]
    return [i for i in found if i <= MAX_ID][:1000]


async def communities(res: Resources, query: CommunityQuery) -> CommunityPage:
    descending = (query.sort or "id").startswith("-")
    after = int(query.cursor) if query.cursor and query.cursor.isdigit() and len(query.cursor) <= 19 else None
    if query.cursor and (after is None or after > MAX_ID):
        raise ValidationFailed("not a cursor this list gave", details={"cursor": query.cursor[:40]})
    wanted = _ids(query.ids)

    def read(db: Any) -> CommunityPage:
        table = db.communities
        where = table.id > 0
        if wanted is not None:
            where &= table.id.belongs(wanted or [0])
        if query.q:
            where &= table.name.contains(query.q, case_sensitive=False)
        if after is not None:
            where &= (table.id < after) if descending else (table.id > after)
        rows = db(where).select(orderby=~table.id if descending else table.id, limitby=(0, query.limit + 1))
        page = list(rows)[: query.limit]
        ids = [int(r.id) for r in page]
        entities: dict[int, list[EntityOut]] = {i: [] for i in ids}
        for e in db(db.entities.community_id.belongs(ids or [0])).select(orderby=db.entities.id):
            entities[int(e.community_id)].append(EntityOut(platform=e.platform, server_id=e.server_id))
        items = [CommunityOut(id=int(r.id), name=str(r.name), entities=entities[int(r.id)]) for r in page]
        more = len(rows) > query.limit
        return CommunityPage(items=items, next_cursor=str(ids[-1]) if more and ids else None)

    found: CommunityPage = await res.db.read(read)
    return found


async def modules(
    res: Resources, registry: ModuleRegistry, community_id: int, query: ListQuery, ttl: float
) -> ModulePage:
    config = await load_config(res, community_id, ttl)
    enabled = set(config["modules"])
    items = [
        ModuleOut(
            name=name,
            version=m.version,
            description=m.description,
            enabled=name in enabled,
            commands=[c.path for c in m.commands],
        )
        for name, m in sorted(registry.manifests.items())
        if name != ROUTER and (not query.q or query.q.lower() in name)
    ]
    if query.sort == "-name":
        items.reverse()
    if query.cursor:
        items = [
            i for i in items if (i.name < query.cursor if query.sort == "-name" else i.name > query.cursor)
        ]
    page = items[: query.limit]
    return ModulePage(items=page, next_cursor=page[-1].name if len(items) > query.limit else None)
