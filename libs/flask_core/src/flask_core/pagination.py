"""Portal-facing lists (§12 "The portal's proxy"): `limit`, `cursor`, `q`, `sort` → `{items, next_cursor}`.

    page = page_query(request.args, sorts=("name", "created_at"), default="name")
    rows = db(query).select(orderby=..., limitby=page.limitby)   # one row more than asked
    items, cursor = page.split(rows)

`limit` is 1-100 (default 50); `sort` is one of the allowed fields, `-field` for
descending; `q` is free text the caller matches as it sees fit (at most 100 characters);
`cursor` is opaque to clients (an offset today). Anything else is a 422 in the error shape.

Services whose query models validate `limit/q/sort` themselves use only the cursor half:
`offset = offset_of(query.cursor)` … `next_cursor(offset, len(items), more)`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_QUERY = 100
MAX_OFFSET = 1_000_000


@dataclass(frozen=True, slots=True)
class PageQuery:
    limit: int
    offset: int
    q: str
    sort: str  # the field, without the sign
    descending: bool

    @property
    def limitby(self) -> tuple[int, int]:
        """pydal's limitby for one row more than the page (to know whether another follows)."""
        return (self.offset, self.offset + self.limit + 1)

    def split[T](self, rows: Sequence[T]) -> tuple[list[T], str | None]:
        """(the page's items, the next cursor or None) from up to limit+1 rows."""
        items = list(rows[: self.limit])
        more = len(rows) > self.limit
        return items, encode_cursor(self.offset + self.limit) if more else None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    kind, _, number = raw.partition(":")
    if kind != "o" or not number.isdigit() or int(number) > MAX_OFFSET:
        raise ValidationFailed("cursor is not one this API gave", details={"field": "cursor"})
    return int(number)


def offset_of(cursor: str | None) -> int:
    """The offset a cursor stands for (0 for none); ValidationFailed (422) for a foreign one."""
    return decode_cursor(cursor) if cursor else 0


def next_cursor(offset: int, count: int, more: bool) -> str | None:
    """The cursor after a page of `count` items that started at `offset` (None: the last page)."""
    return encode_cursor(offset + count) if more else None


def page_query(args: Mapping[str, Any], sorts: Sequence[str], default: str) -> PageQuery:
    """The page asked for in a query string; ValidationFailed (422) for anything unusable."""
    raw_limit = str(args.get("limit", DEFAULT_LIMIT))
    if not (raw_limit.isascii() and raw_limit.isdigit()) or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be 1-{MAX_LIMIT}", details={"field": "limit"})
    cursor = args.get("cursor")
    offset = decode_cursor(str(cursor)) if cursor else 0
    q = str(args.get("q", "")).strip()
    if len(q) > MAX_QUERY:
        raise ValidationFailed(f"q is {MAX_QUERY} characters at most", details={"field": "q"})
    sort = str(args.get("sort", default))
    field = sort.removeprefix("-")
    if field not in sorts:
        raise ValidationFailed(
            f"sort must be one of {', '.join(sorts)} (with - for descending)", details={"field": "sort"}
        )
    return PageQuery(int(raw_limit), offset, q, field, sort.startswith("-"))
