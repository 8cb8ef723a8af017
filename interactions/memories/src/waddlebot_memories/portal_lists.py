"""The portal's bookmarks and reminders (§12 "The portal's proxy"; service token).

GET    /memories/api/v1/communities/{id}/bookmarks?limit&cursor&q&sort  → {items, next_cursor}
GET    /memories/api/v1/communities/{id}/bookmarks/{bookmark_id}
DELETE /memories/api/v1/communities/{id}/bookmarks/{bookmark_id}         (a soft delete)
GET    /memories/api/v1/communities/{id}/reminders?limit&cursor&q&sort  → {items, next_cursor}
GET    /memories/api/v1/communities/{id}/reminders/{reminder_id}
DELETE /memories/api/v1/communities/{id}/reminders/{reminder_id}         (cancels it)

Cursors are the last id of the previous page; `sort` is `-id` (newest first, the
default) or `id`; `q` keeps items containing every word (bookmarks: link or title;
reminders: text or target).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints
from quart import Blueprint
from quart_schema import document_response, validate_querystring, validate_response

from flask_core.app import resources
from flask_core.auth import require_service
from flask_core.errors import NotFound
from flask_core.openapi import NoContent

from . import bookmarks, reminders
from .service import search_words

bp = Blueprint("memories_portal", __name__)
BOOKMARKS = "/api/v1/communities/<int:community_id>/bookmarks"
REMINDERS = "/api/v1/communities/<int:community_id>/reminders"
MAX_ID = 2**63 - 1


class PageQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")] | None = None
    q: Annotated[str, StringConstraints(max_length=200)] | None = None
    sort: Literal["id", "-id"] = "-id"


class BookmarkOut(BaseModel):
    id: int
    url: str
    title: str | None
    created_by: str | None
    created_at: datetime


class BookmarkPage(BaseModel):
    items: list[BookmarkOut]
    next_cursor: str | None = None


class ReminderOut(BaseModel):
    id: int
    target: str
    text: str
    recurrence: str | None
    next_at: datetime | None
    set_by: str | None
    platform: str
    channel_id: str


class ReminderPage(BaseModel):
    items: list[ReminderOut]
    next_cursor: str | None = None


def _check(*ids: int) -> None:
    if any(i > MAX_ID for i in ids):
        raise NotFound("not found here")


def _window(query: Any, id_field: Any, args: PageQuery) -> tuple[Any, Any]:
    if args.cursor is not None:
        query &= (id_field < int(args.cursor)) if args.sort == "-id" else (id_field > int(args.cursor))
    return query, (~id_field if args.sort == "-id" else id_field)


def _bookmark(row: Any) -> BookmarkOut:
    return BookmarkOut(
        id=row.id, url=row.url, title=row.title, created_by=row.created_by_username,
        created_at=row.created_at.replace(tzinfo=UTC),
    )  # fmt: skip


def _reminder(found: reminders.Reminder) -> ReminderOut:
    return ReminderOut(
        id=found.id, target=found.target, text=found.text, recurrence=found.recurrence or None,
        next_at=found.next_at, set_by=found.set_by_username or None, platform=found.platform,
        channel_id=found.channel_id,
    )  # fmt: skip


@bp.get(BOOKMARKS)
@require_service
@validate_querystring(PageQuery)
@validate_response(BookmarkPage)
async def list_bookmarks(community_id: int, query_args: PageQuery) -> BookmarkPage:
    """The community's bookmarks (a page)."""
    _check(community_id)

    def read(db: Any) -> BookmarkPage:
        query = bookmarks._live(db, community_id)
        for word in search_words(query_args.q or ""):
            query &= db.bookmarks.search_text.contains(word, case_sensitive=True)
        query, order = _window(query, db.bookmarks.id, query_args)
        rows = list(db(query).select(orderby=order, limitby=(0, query_args.limit + 1)))
        items = [_bookmark(r) for r in rows[: query_args.limit]]
        more = len(rows) > query_args.limit
        return BookmarkPage(items=items, next_cursor=str(items[-1].id) if more else None)

    page: BookmarkPage = await resources().db.read(read)
    return page


@bp.get(f"{BOOKMARKS}/<int:bookmark_id>")
@require_service
@validate_response(BookmarkOut)
async def get_bookmark(community_id: int, bookmark_id: int) -> BookmarkOut:
    """One bookmark."""
    _check(community_id, bookmark_id)

    def read(db: Any) -> Any:
        return db(bookmarks._live(db, community_id) & (db.bookmarks.id == bookmark_id)).select().first()

    row = await resources().db.read(read)
    if row is None:
        raise NotFound("no such bookmark", details={"id": bookmark_id})
    return _bookmark(row)


@bp.delete(f"{BOOKMARKS}/<int:bookmark_id>")
@require_service
@document_response(NoContent, 204)
async def delete_bookmark(community_id: int, bookmark_id: int) -> tuple[str, int]:
    """Remove a bookmark."""
    _check(community_id, bookmark_id)
    if not await resources().db.run(bookmarks._remove, community_id, bookmark_id):
        raise NotFound("no such bookmark", details={"id": bookmark_id})
    return "", 204


@bp.get(REMINDERS)
@require_service
@validate_querystring(PageQuery)
@validate_response(ReminderPage)
async def list_reminders(community_id: int, query_args: PageQuery) -> ReminderPage:
    """The community's pending reminders (a page)."""
    _check(community_id)

    def read(db: Any) -> ReminderPage:
        query = reminders._live(db, community_id)
        for word in search_words(query_args.q or ""):
            query &= db.reminders.text.contains(word) | db.reminders.target.contains(word)
        query, order = _window(query, db.reminders.id, query_args)
        rows = list(db(query).select(orderby=order, limitby=(0, query_args.limit + 1)))
        items = [_reminder(reminders._to_reminder(r)) for r in rows[: query_args.limit]]
        more = len(rows) > query_args.limit
        return ReminderPage(items=items, next_cursor=str(items[-1].id) if more else None)

    page: ReminderPage = await resources().db.read(read)
    return page


@bp.get(f"{REMINDERS}/<int:reminder_id>")
@require_service
@validate_response(ReminderOut)
async def get_reminder(community_id: int, reminder_id: int) -> ReminderOut:
    """One pending reminder."""
    _check(community_id, reminder_id)
    found = await resources().db.read(reminders._get, reminder_id, community_id)
    if found is None:
        raise NotFound("no such reminder", details={"id": reminder_id})
    return _reminder(found)


@bp.delete(f"{REMINDERS}/<int:reminder_id>")
@require_service
@document_response(NoContent, 204)
async def delete_reminder(community_id: int, reminder_id: int) -> tuple[str, int]:
    """Cancel a pending reminder."""
    _check(community_id, reminder_id)

    def cancel(db: Any) -> bool:
        found = reminders._get(db, reminder_id, community_id)
        return found is not None and reminders._cancel(db, reminder_id)

    if not await resources().db.run(cancel):
        raise NotFound("no such reminder", details={"id": reminder_id})
    return "", 204


__all__ = ["bp"]
