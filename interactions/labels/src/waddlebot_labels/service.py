"""Labels domain logic: no Quart here; the database handle is passed in.

A label belongs to one community (name unique case-insensitively, colour `#rrggbb`,
category). It is put on entities (`user`, `item`, `event`, `quote`, `command`) identified
by a string id (users: `<platform>:<login>`). Each entity type has a limit (5 per user by
default); the count and the insert run in one unit of work serialised per entity, so two
concurrent adds cannot both pass the limit. System labels (`system = true`) are
immutable: they cannot be renamed, recoloured or deleted, nor put on or taken off from
chat.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import AsyncDAL, Conflict, NotFound, ServiceError, get_logger
from flask_core.database import is_integrity_error, serialize_on

from .models import CATEGORY_MAX, ENTITY_TYPES, NAME_MAX

log = get_logger(__name__)
DEFAULT_COLOUR = "#9e9e9e"
DEFAULT_CATEGORY = "general"
_NAME = re.compile(r"[\w][\w .+'&-]*")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}", re.ASCII)


class LabelError(ServiceError):
    """A refused label change; `message` is what chat shows."""

    code, status = "label_refused", 409


class LimitReached(LabelError):
    code = "limit_reached"


class Immutable(LabelError):
    code = "system_label"


class InvalidLabel(LabelError):
    code, status = "validation_error", 422


@dataclass(frozen=True, slots=True)
class Label:
    id: int
    community_id: int
    name: str
    colour: str
    category: str
    system: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Tagged:
    """An entity and the names of its labels (search results)."""

    entity_type: str
    entity_id: str
    labels: list[str]


def clean_name(name: str) -> str:
    """Collapse whitespace and drop control characters; InvalidLabel when unusable."""
    kept = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    value = " ".join(kept.split())
    if not value or len(value) > NAME_MAX or not _NAME.fullmatch(value):
        raise InvalidLabel(
            f"A label name is 1 to {NAME_MAX} letters, digits, spaces or - _ . + ' &.",
            details={"field": "name"},
        )
    return value


def check_colour(colour: str) -> str:
    if not _COLOUR.fullmatch(colour):
        raise InvalidLabel("A colour is #rrggbb.", details={"field": "colour"})
    return colour.lower()


def check_category(category: str) -> str:
    value = " ".join(category.split())
    if not value or len(value) > CATEGORY_MAX:
        raise InvalidLabel(f"A category is 1 to {CATEGORY_MAX} characters.", details={"field": "category"})
    return value


def key_of(name: str) -> str:
    return name.casefold()


def check_entity_type(entity_type: str) -> str:
    if entity_type not in ENTITY_TYPES:
        raise NotFound("no such entity type", details={"entity_type": entity_type, "known": ENTITY_TYPES})
    return entity_type


def _escape(text: str) -> str:
    """`%` and `_` are literal in searches."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _label(row: Any) -> Label:
    return Label(
        id=int(row.id),
        community_id=int(row.community_id),
        name=str(row.name),
        colour=str(row.colour),
        category=str(row.category),
        system=bool(row.system),
        created_at=row.created_at.replace(tzinfo=UTC),
    )


# --- labels ------------------------------------------------------------------------------


_SORTS = {"name": ("name_key", False), "-name": ("name_key", True),
          "created_at": ("id", False), "-created_at": ("id", True)}  # fmt: skip
SORTS = tuple(_SORTS)


def _find(d: Any, community_id: int, name: str) -> Any:
    t = d.labels
    return d((t.community_id == community_id) & (t.name_key == key_of(name))).select().first()


async def list_labels(
    db: AsyncDAL, community_id: int, *, q: str = "", sort: str = "name", offset: int = 0, limit: int = 20
) -> tuple[list[Label], bool]:
    """One page of the community's labels and whether there are more."""
    column, descending = _SORTS[sort]

    def select(d: Any) -> tuple[list[Label], bool]:
        t = d.labels
        query = t.community_id == community_id
        if q:
            query &= t.name_key.like(f"%{_escape(key_of(q))}%", escape="\\")
        order = ~t[column] if descending else t[column]
        rows = d(query).select(orderby=order | t.id, limitby=(offset, offset + limit + 1))
        return [_label(r) for r in rows[:limit]], len(rows) > limit

    found: tuple[list[Label], bool] = await db.read(select)
    return found


async def get_label(db: AsyncDAL, community_id: int, label_id: int) -> Label:
    def select(d: Any) -> Any:
        t = d.labels
        return d((t.id == label_id) & (t.community_id == community_id)).select().first()

    row = await db.read(select)
    if row is None:
        raise NotFound("no such label", details={"label_id": label_id})
    return _label(row)


def _create(d: Any, community_id: int, name: str, colour: str, category: str, system: bool, by: str) -> Any:
    new_id = d.labels.insert(
        community_id=community_id, name=name, name_key=key_of(name), colour=colour,
        category=category, system=system, created_by=by, created_at=_now(),
    )  # fmt: skip
    return d.labels[new_id]


async def create_label(
    db: AsyncDAL,
    community_id: int,
    name: str,
    *,
    colour: str = DEFAULT_COLOUR,
    category: str = DEFAULT_CATEGORY,
    system: bool = False,
    by: str = "",
) -> Label:
    name, colour, category = clean_name(name), check_colour(colour), check_category(category)

    def unit(d: Any) -> Any:
        if _find(d, community_id, name) is not None:
            raise Conflict("a label with this name exists", details={"name": name})
        return _create(d, community_id, name, colour, category, system, by)

    try:
        row = await db.run(unit)
    except Exception as exc:
        if is_integrity_error(exc):  # a concurrent create of the same name
            raise Conflict("a label with this name exists", details={"name": name}) from exc
        raise
    log.info("labels.created", community_id=community_id, label_id=row.id, system=system)
    return _label(row)


async def update_label(
    db: AsyncDAL,
    community_id: int,
    label_id: int,
    *,
    name: str | None = None,
    colour: str | None = None,
    category: str | None = None,
) -> Label:
    changes: dict[str, Any] = {}
    if name is not None:
        changes.update(name=clean_name(name), name_key=key_of(clean_name(name)))
    if colour is not None:
        changes["colour"] = check_colour(colour)
    if category is not None:
        changes["category"] = check_category(category)

    def unit(d: Any) -> Any:
        t = d.labels
        row = d((t.id == label_id) & (t.community_id == community_id)).select().first()
        if row is None:
            raise NotFound("no such label", details={"label_id": label_id})
        if row.system:
            raise Immutable(f"{row.name} is a system label and cannot be changed.")
        if "name_key" in changes:
            other = _find(d, community_id, changes["name"])
            if other is not None and other.id != row.id:
                raise Conflict("a label with this name exists", details={"name": changes["name"]})
        if changes:
            row.update_record(**changes)
        return d.labels[label_id]

    try:
        return _label(await db.run(unit))
    except Exception as exc:
        if is_integrity_error(exc):
            raise Conflict("a label with this name exists") from exc
        raise


async def delete_label(db: AsyncDAL, community_id: int, label_id: int) -> None:
    def unit(d: Any) -> None:
        t = d.labels
        row = d((t.id == label_id) & (t.community_id == community_id)).select().first()
        if row is None:
            raise NotFound("no such label", details={"label_id": label_id})
        if row.system:
            raise Immutable(f"{row.name} is a system label and cannot be deleted.")
        d(d.label_assignments.label_id == label_id).delete()
        row.delete_record()

    await db.run(unit)
    log.info("labels.deleted", community_id=community_id, label_id=label_id)


# --- assignments ---------------------------------------------------------------------------


def _entity_labels(d: Any, community_id: int, entity_type: str, entity_id: str) -> list[Label]:
    a, t = d.label_assignments, d.labels
    query = (
        (a.community_id == community_id)
        & (a.entity_type == entity_type)
        & (a.entity_id == entity_id)
        & (a.label_id == t.id)
    )
    return [_label(r) for r in d(query).select(t.ALL, orderby=t.name_key)]


async def entity_labels(db: AsyncDAL, community_id: int, entity_type: str, entity_id: str) -> list[Label]:
    """An entity's labels, by name."""
    found: list[Label] = await db.read(
        _entity_labels, community_id, check_entity_type(entity_type), entity_id
    )
    return found


@dataclass(frozen=True, slots=True)
class Limits:
    per_user: int = 5
    per_entity: int = 20

    def of(self, entity_type: str) -> int:
        return self.per_user if entity_type == "user" else self.per_entity


async def assign(
    db: AsyncDAL,
    community_id: int,
    entity_type: str,
    entity_id: str,
    name: str,
    *,
    limits: Limits,
    by: str = "",
    create: bool = True,
    from_chat: bool = False,
) -> tuple[list[Label], bool]:
    """Put label `name` on an entity (creating the label when `create`); → (its labels, added).

    Counting and inserting are one unit of work, serialised per entity, so the limit
    holds under concurrency (LimitReached past it).
    """
    check_entity_type(entity_type)
    name = clean_name(name)
    limit = limits.of(entity_type)

    def unit(d: Any) -> tuple[list[Label], bool]:
        serialize_on(d, "labels", community_id, entity_type, entity_id)
        row = _find(d, community_id, name)
        if row is None:
            if not create:
                raise NotFound("no such label", details={"name": name})
            row = _create(d, community_id, name, DEFAULT_COLOUR, DEFAULT_CATEGORY, False, by)
        if row.system and from_chat:
            raise Immutable(f"{row.name} is a system label: it cannot be given or taken from chat.")
        current = _entity_labels(d, community_id, entity_type, entity_id)
        if any(label.id == row.id for label in current):
            return current, False
        if len(current) >= limit:
            raise LimitReached(
                f"That {entity_type} has {len(current)} labels already, the most allowed.",
                details={"limit": limit},
            )
        d.label_assignments.insert(
            community_id=community_id, label_id=row.id, entity_type=entity_type,
            entity_id=entity_id, created_by=by, created_at=_now(),
        )  # fmt: skip
        return _entity_labels(d, community_id, entity_type, entity_id), True

    for attempt in range(3):
        try:
            result: tuple[list[Label], bool] = await db.run(unit)
        except Exception as exc:
            if is_integrity_error(exc) and attempt < 2:
                continue  # a concurrent create of the label or the same assignment: look again
            raise
        if result[1]:
            log.info("labels.assigned", community_id=community_id, entity_type=entity_type)
        return result
    raise AssertionError("unreachable")  # pragma: no cover


async def unassign(
    db: AsyncDAL,
    community_id: int,
    entity_type: str,
    entity_id: str,
    *,
    name: str | None = None,
    label_id: int | None = None,
    from_chat: bool = False,
) -> tuple[list[Label], bool]:
    """Take a label off an entity; → (its labels now, whether one was removed)."""
    check_entity_type(entity_type)

    def unit(d: Any) -> tuple[list[Label], bool]:
        if label_id is not None:
            t = d.labels
            row = d((t.id == label_id) & (t.community_id == community_id)).select().first()
        else:
            row = _find(d, community_id, clean_name(name or ""))
        if row is None:
            raise NotFound("no such label", details={"label": label_id or name})
        if row.system and from_chat:
            raise Immutable(f"{row.name} is a system label: it cannot be given or taken from chat.")
        a = d.label_assignments
        removed = d(
            (a.community_id == community_id)
            & (a.entity_type == entity_type)
            & (a.entity_id == entity_id)
            & (a.label_id == row.id)
        ).delete()
        return _entity_labels(d, community_id, entity_type, entity_id), bool(removed)

    result: tuple[list[Label], bool] = await db.run(unit)
    return result


async def search(
    db: AsyncDAL,
    community_id: int,
    names: list[str],
    *,
    match: str = "any",
    entity_type: str | None = None,
    q: str = "",
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[Tagged], bool]:
    """Entities carrying any (or all) of the labels `names`, ordered by type and id."""
    keys = sorted({key_of(" ".join(n.split())) for n in names if n.strip()})
    if entity_type is not None:
        check_entity_type(entity_type)

    def select(d: Any) -> tuple[list[Tagged], bool]:
        a, t = d.label_assignments, d.labels
        if not keys:
            return [], False
        wanted = d((t.community_id == community_id) & t.name_key.belongs(keys)).select(t.id)
        ids = [r.id for r in wanted]
        if match == "all" and len(ids) < len(keys):
            return [], False  # one of the labels does not exist: nothing carries them all
        if not ids:
            return [], False
        query = (a.community_id == community_id) & a.label_id.belongs(ids)
        if entity_type is not None:
            query &= a.entity_type == entity_type
        if q:
            query &= a.entity_id.like(f"%{_escape(q)}%", escape="\\")
        count = a.label_id.count(distinct=True)
        grouped = d(query).select(
            a.entity_type, a.entity_id, count,
            groupby=a.entity_type | a.entity_id,
            having=(count == len(ids)) if match == "all" else None,
            orderby=a.entity_type | a.entity_id,
            limitby=(offset, offset + limit + 1),
        )  # fmt: skip
        page = grouped[:limit]
        out = []
        for row in page:
            etype, eid = row.label_assignments.entity_type, row.label_assignments.entity_id
            names_now = [label.name for label in _entity_labels(d, community_id, etype, eid)]
            out.append(Tagged(etype, eid, names_now))
        return out, len(grouped) > limit

    found: tuple[list[Tagged], bool] = await db.read(select)
    return found
