"""`limit`, `cursor`, `q` and `sort` for the portal-facing lists (ARCHITECTURE §12).

A cursor is the opaque, URL-safe position after the last item answered; a bad cursor,
limit or sort is a 422 in the §3 error shape. Lists are sorted by a whitelisted field
(`-field` for descending) and filtered by `q` (case-insensitive substring of the
fields the caller names).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from flask_core.errors import ServiceError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class ListQuery(BaseModel):
    """`?limit=&cursor=&q=&sort=` of every portal-facing list (declared in the OpenAPI)."""

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    q: Annotated[str, StringConstraints(max_length=100)] | None = None
    sort: Annotated[str, StringConstraints(max_length=40)] | None = None


def _invalid(message: str, **details: Any) -> ServiceError:
    return ServiceError(message, code="validation_error", status=422, details=details)


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int
    q: str
    sort: str
    descending: bool

    def cursor_after(self, count: int, total: int) -> str | None:
        end = self.offset + count
        return encode_cursor(end) if end < total else None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid("cursor is not valid", cursor=cursor[:100]) from None
    kind, _, number = raw.partition(":")
    if kind != "o" or not number.isdigit() or len(number) > 12:
        raise _invalid("cursor is not valid", cursor=cursor[:100])
    return int(number)


def page_from(args: ListQuery, sorts: Sequence[str], default_sort: str) -> Page:
    """The page asked for by a request's (validated) query arguments."""
    sort = args.sort or default_sort
    field = sort.removeprefix("-")
    if field not in sorts:
        raise _invalid("unknown sort", sort=sort, allowed=list(sorts))
    offset = _decode_cursor(args.cursor) if args.cursor else 0
    q = (args.q or "").strip().lower()
    return Page(args.limit, offset, q, field, sort.startswith("-"))


def paginate[T](
    items: Sequence[T], page: Page, key: Callable[[T, str], Any], text: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """Filter by `q` (over `text(item)`), sort by `key(item, field)`, cut one page."""
    found = [i for i in items if page.q in text(i).lower()] if page.q else list(items)
    found.sort(key=lambda i: key(i, page.sort), reverse=page.descending)
    chunk = found[page.offset : page.offset + page.limit]
    return chunk, page.cursor_after(len(chunk), len(found))
