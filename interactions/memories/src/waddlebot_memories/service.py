"""Quotes: validation, per-community numbering, storage and search.

No Quart here: every function gets the `AsyncDAL` handle, and each database access is
a small sync function run through `db.run` (writes) or `db.read` (reads).

`!quote` is read far more often than quotes change, so a community's live quotes (when
it has at most `POOL_MAX`) are kept as one cached value, the *pool* (`flask_core.cache`:
in process, and in Redis with every instance's copy dropped on invalidation). Random and
numbered chat lookups are answered from it without a database read; every write
(`add_quote`, `edit_quote`, `remove_quote`) invalidates it after it committed.
"""

from __future__ import annotations

import asyncio
import bisect
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core.cache import Cache
from flask_core.database import AsyncDAL, is_integrity_error, serialize_on
from flask_core.errors import Conflict, ValidationFailed
from flask_core.logging import get_logger
from flask_core.metrics import counter

from .models import (
    AUTHOR_MAX_LENGTH,
    GAME_MAX_LENGTH,
    QUOTE_MAX_LENGTH,
    Creator,
    Quote,
    QuoteDraft,
)

log = get_logger(__name__)
SERVICE = "memories"
#: Each lost numbering race means another add committed, so attempts make progress;
#: this bound only matters under a burst of concurrent adds in one community.
ADD_ATTEMPTS = 50
MAX_SEARCH_WORDS = 10
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs"})  # controls (NUL breaks PostgreSQL), surrogates
_QUOTE_PAIRS = (('"', '"'), ("\u201c", "\u201d"))
#: A community with at most this many live quotes is answered from its cached pool; a
#: larger one is drawn from the database (a full pool is at most about 250 KB of JSON).
POOL_MAX = 500
#: The pool is invalidated on every write; the expiry is only a safety net.
POOL_TTL = 300.0

NUMBER_CONFLICTS = counter(
    "waddlebot_quote_number_conflicts_total",
    "Quote inserts that lost the race for a number and were retried",
)


@dataclass(frozen=True, slots=True)
class NumberRange:
    """How many live quotes a community has, and their lowest and highest numbers."""

    count: int
    lowest: int
    highest: int


class InvalidQuote(ValidationFailed):
    """A quote that cannot be stored; its message is short enough to answer in chat."""


@dataclass(frozen=True, slots=True)
class QuotePage:
    """One page of quotes and how many matched in all."""

    items: list[Quote]
    total: int


def clean(value: str) -> str:
    """Collapse whitespace (newlines included) and drop control and surrogate characters."""
    kept = "".join(" " if unicodedata.category(ch) in _DROPPED_CATEGORIES else ch for ch in value)
    return " ".join(kept.split())


def _unquote(text: str) -> str:
    """`"text"` → `text`: the chat answer adds its own quotation marks."""
    for opening, closing in _QUOTE_PAIRS:
        if len(text) >= 2 and text.startswith(opening) and text.endswith(closing):
            return text[1:-1].strip()
    return text


def make_draft(text: str, author: str, game: str, created_by: Creator) -> QuoteDraft:
    """Clean and check a new quote; raise `InvalidQuote` with a chat-friendly message."""
    text = check_text(text)
    author = check_author(author)
    creator = Creator(
        clean(created_by.platform)[:16],
        clean(created_by.user_id)[:200],
        clean(created_by.username)[:100],
    )
    return QuoteDraft(text, author, clean(game)[:GAME_MAX_LENGTH], creator)


def search_words(query: str) -> list[str]:
    """The distinct case-folded words of a search, at most MAX_SEARCH_WORDS."""
    words = dict.fromkeys(clean(query).casefold().split())
    return list(words)[:MAX_SEARCH_WORDS]


# --- sync units of work (run in the DAL's worker threads) -------------------------------


def _now() -> datetime:
    # Stored naive in UTC: pydal's datetime has no zone on either backend.
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _to_quote(row: Any) -> Quote:
    return Quote(
        community_id=row.community_id,
        number=row.number,
        text=row.text,
        author=row.author or "",
        game=row.game or "",
        created_at=row.created_at.replace(tzinfo=UTC),
        created_by=Creator(
            row.created_by_platform or "",
            row.created_by_user_id or "",
            row.created_by_username or "",
        ),
    )


def _live(db: Any, community_id: int) -> Any:
    table = db.quotes
    return (table.community_id == community_id) & (table.removed_at == None)  # noqa: E711


def _insert_next(db: Any, community_id: int, draft: QuoteDraft) -> Quote:
    serialize_on(db, "quotes", community_id)  # concurrent adds take turns, no retry storm
    table = db.quotes
    top = table.number.max()
    # Removed quotes keep their rows, so the maximum never goes down: no reuse.
    last = db(table.community_id == community_id).select(top).first()[top]
    number = (last or 0) + 1
    now = _now()
    table.insert(
        community_id=community_id,
        number=number,
        text=draft.text,
        author=draft.author or None,
        game=draft.game or None,
        search_text=f"{draft.text} {draft.author}".casefold(),
        created_by_platform=draft.created_by.platform,
        created_by_user_id=draft.created_by.user_id,
        created_by_username=draft.created_by.username,
        created_at=now,
    )
    created_at = now.replace(tzinfo=UTC)
    return Quote(community_id, number, draft.text, draft.author, draft.game, created_at, draft.created_by)


def _get(db: Any, community_id: int, number: int) -> Quote | None:
    row = db(_live(db, community_id) & (db.quotes.number == number)).select().first()
    return _to_quote(row) if row is not None else None


def _page(
    db: Any, community_id: int, words: list[str], limit: int, offset: int, newest_first: bool
) -> QuotePage:
    query = _live(db, community_id)
    for word in words:
        # Both sides are case-folded, so a case-sensitive LIKE is Unicode-correct;
        # pydal escapes % and _ in the word.
        query &= db.quotes.search_text.contains(word, case_sensitive=True)
    total = db(query).count()
    order = ~db.quotes.number if newest_first else db.quotes.number
    rows = db(query).select(orderby=order, limitby=(offset, offset + limit))
    return QuotePage([_to_quote(row) for row in rows], total)


def _edit(db: Any, community_id: int, number: int, text: str, author: str | None) -> Quote | None:
    row = db(_live(db, community_id) & (db.quotes.number == number)).select().first()
    if row is None:
        return None
    author = (row.author or "") if author is None else author
    row.update_record(text=text, author=author or None, search_text=f"{text} {author}".casefold())
    return _to_quote(row)


def _numbers(db: Any, community_id: int) -> NumberRange:
    table = db.quotes
    low, high, count = table.number.min(), table.number.max(), table.id.count()
    row = db(_live(db, community_id)).select(low, high, count).first()
    return NumberRange(row[count] or 0, row[low] or 0, row[high] or 0)


def _remove(db: Any, community_id: int, number: int, removed_by: str) -> bool:
    query = _live(db, community_id) & (db.quotes.number == number)
    return bool(db(query).update(removed_at=_now(), removed_by=clean(removed_by)[:200]))


# --- the async API ------------------------------------------------------------------------


async def add_quote(db: AsyncDAL, cache: Cache, community_id: int, draft: QuoteDraft) -> Quote:
    """Store a quote under the community's next number; concurrent adds retry on conflict."""
    for attempt in range(1, ADD_ATTEMPTS + 1):
        try:
            quote = await db.run(_insert_next, community_id, draft)
        except Exception as exc:
            if not is_integrity_error(exc):
                raise
            NUMBER_CONFLICTS.labels(SERVICE).inc()
            log.debug("quote.number_conflict", community_id=community_id, attempt=attempt)
            # Jitter spreads the retries of a burst so they stop colliding.
            await asyncio.sleep(random.uniform(0, 0.002 * attempt))
            continue
        await cache.invalidate(pool_key(community_id))
        log.info("quote.created", community_id=community_id, number=quote.number)
        return quote
    log.warning("quote.numbering_exhausted", community_id=community_id, attempts=ADD_ATTEMPTS)
    raise Conflict("could not number the quote, try again", details={"attempts": ADD_ATTEMPTS})


async def get_quote(db: AsyncDAL, community_id: int, number: int) -> Quote | None:
    """The quote with this number, unless it does not exist or was removed."""
    return await db.read(_get, community_id, number)


#: A quote lookup: (community_id, number) for one quote, (community_id, None) for a random one.
Lookup = tuple[int, int | None]


def _randoms(db: Any, community_id: int, count: int) -> list[Quote]:
    """`count` distinct random quotes of the community (all of them when it has fewer)."""
    rows = db(_live(db, community_id)).select(orderby="<random>", limitby=(0, count))
    return [_to_quote(row) for row in rows]


def _draw[T](sample: list[T], n: int) -> T | None:
    """The `n`th random draw of a community from `sample` (its distinct random quotes, as many
    as were asked for or all it has): distinct while they last, then uniformly repeated."""
    return sample[n] if n < len(sample) else (random.choice(sample) if sample else None)


def _lookup_all(db: Any, lookups: list[Lookup]) -> list[Quote | None]:
    """Numbered lookups one by one; the random ones with ONE query per community, not per
    lookup: k random `!quote`s of a community get k distinct random quotes (each one
    uniformly random on its own), and repeats only when it has fewer than k quotes."""
    wanted = Counter(cid for cid, number in lookups if number is None)
    pools = {cid: _randoms(db, cid, count) for cid, count in wanted.items()}
    drawn: Counter[int] = Counter()
    found: list[Quote | None] = []
    for cid, number in lookups:
        if number is not None:
            found.append(_get(db, cid, number))
            continue
        found.append(_draw(pools[cid], drawn[cid]))
        drawn[cid] += 1
    return found


def pool_key(community_id: int) -> str:
    return f"memories:quotes:{community_id}"


def _pool_entry(quote: Quote) -> list[Any]:
    c = quote.created_by
    return [
        quote.number,
        quote.text,
        quote.author,
        quote.game,
        quote.created_at.isoformat(),
        c.platform,
        c.user_id,
        c.username,
    ]


def _from_entry(community_id: int, entry: list[Any]) -> Quote:
    number, text, author, game, created_at, platform, user_id, username = entry
    created = datetime.fromisoformat(created_at)
    return Quote(community_id, number, text, author, game, created, Creator(platform, user_id, username))


def _pool_rows(db: Any, community_id: int) -> dict[str, Any]:
    """The pool's JSON: the live quotes by number, or `complete: false` when there are more."""
    rows = db(_live(db, community_id)).select(orderby=db.quotes.number, limitby=(0, POOL_MAX + 1))
    if len(rows) > POOL_MAX:
        return {"complete": False}
    entries = [_pool_entry(_to_quote(row)) for row in rows]
    return {"complete": True, "numbers": [e[0] for e in entries], "quotes": entries}


async def _pool(db: AsyncDAL, cache: Cache, community_id: int) -> dict[str, Any]:
    """The community's pool (shared and read-only: never change it)."""

    async def load() -> dict[str, Any]:
        return await db.read(_pool_rows, community_id)

    pool: dict[str, Any] = await cache.get_or_set(
        pool_key(community_id), load, POOL_TTL, local=True, shared=True
    )
    return pool


def _numbered(community_id: int, pool: dict[str, Any], number: int) -> Quote | None:
    numbers: list[int] = pool["numbers"]
    at = bisect.bisect_left(numbers, number)
    if at < len(numbers) and numbers[at] == number:
        return _from_entry(community_id, pool["quotes"][at])
    return None


async def lookup_quotes(db: AsyncDAL, cache: Cache, lookups: list[Lookup]) -> list[Quote | None]:
    """Several lookups, in order: from the communities' pools, and the lookups of larger
    communities in ONE unit of work (one thread hand-off). k random `!quote`s of one
    community get k distinct quotes (each uniformly random), as `_lookup_all` does."""
    if not lookups:
        return []
    communities = list(dict.fromkeys(cid for cid, _ in lookups))
    pools = dict(
        zip(communities, await asyncio.gather(*(_pool(db, cache, c) for c in communities)), strict=True)
    )
    rest = [lookup for lookup in lookups if not pools[lookup[0]]["complete"]]
    from_db = iter(await db.read(_lookup_all, rest) if rest else [])
    wanted = Counter(cid for cid, number in lookups if number is None and pools[cid]["complete"])
    samples = {
        cid: random.sample(pools[cid]["quotes"], min(k, len(pools[cid]["quotes"])))
        for cid, k in wanted.items()
    }
    drawn: Counter[int] = Counter()
    found: list[Quote | None] = []
    for cid, number in lookups:
        pool = pools[cid]
        if not pool["complete"]:
            found.append(next(from_db))
        elif number is not None:
            found.append(_numbered(cid, pool, number))
        else:
            entry = _draw(samples[cid], drawn[cid])
            drawn[cid] += 1
            found.append(None if entry is None else _from_entry(cid, entry))
    return found


async def find_quotes(
    db: AsyncDAL,
    community_id: int,
    query: str = "",
    *,
    limit: int = 20,
    offset: int = 0,
    newest_first: bool = True,
) -> QuotePage:
    """Quotes whose text or author contains every word of `query` (all when empty)."""
    return await db.read(_page, community_id, search_words(query), limit, offset, newest_first)


def check_text(text: str) -> str:
    """A quote's cleaned text; raise `InvalidQuote` when it is empty or too long."""
    text = _unquote(clean(text))
    if not text or text == "-" or text.startswith("- "):
        # "!quote add - Nobody" has an author and no text
        raise InvalidQuote("A quote needs some text.", details={"field": "text"})
    if len(text) > QUOTE_MAX_LENGTH:
        raise InvalidQuote(
            f"That quote is too long ({QUOTE_MAX_LENGTH} characters at most).",
            details={"field": "text", "max_length": QUOTE_MAX_LENGTH},
        )
    return text


def check_author(author: str) -> str:
    author = clean(author)
    if len(author) > AUTHOR_MAX_LENGTH:
        raise InvalidQuote(
            f"That author name is too long ({AUTHOR_MAX_LENGTH} characters at most).",
            details={"field": "author", "max_length": AUTHOR_MAX_LENGTH},
        )
    return author


async def edit_quote(
    db: AsyncDAL, cache: Cache, community_id: int, number: int, text: str, author: str | None = None
) -> Quote | None:
    """Replace a live quote's text (and its author when given); None when there is none."""
    text = check_text(text)
    author = None if author is None else check_author(author)
    edited = await db.run(_edit, community_id, number, text, author)
    if edited is not None:
        await cache.invalidate(pool_key(community_id))
        log.info("quote.edited", community_id=community_id, number=number)
    return edited


async def number_range(db: AsyncDAL, community_id: int) -> NumberRange:
    """How many quotes the community has and which numbers (for "No quote #999")."""
    return await db.read(_numbers, community_id)


async def remove_quote(db: AsyncDAL, cache: Cache, community_id: int, number: int, removed_by: str) -> bool:
    """Soft-delete a quote (its number stays taken); False when there was none."""
    removed = await db.run(_remove, community_id, number, removed_by)
    if removed:
        await cache.invalidate(pool_key(community_id))
        log.info("quote.removed", community_id=community_id, number=number, removed_by=removed_by)
    return removed
