"""`!bookmark`: links the community keeps, with the page's title looked up safely.

!bookmark add <url> [title]    moderator by default; without a title the page's
                               <title> is fetched through flask_core.safe_fetch
                               (public addresses only, 3 redirects, 256 KiB, 3 s);
                               a refused or failed fetch keeps the bookmark untitled
!bookmark list                 the newest five
!bookmark search <words>       every word in the link or title, case-insensitively
!bookmark remove <id>          moderator by default (a soft delete)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask_core.events import CommandRequest, Role
from flask_core.logging import get_logger
from flask_core.module import Responses
from flask_core.resources import Resources
from flask_core.safe_fetch import fetch_title

from .commands import answer, community_of, parse_number
from .models import TITLE_MAX_LENGTH, URL_MAX_LENGTH
from .service import clean, search_words
from .settings import MemoriesSettings

log = get_logger(__name__)
MODERATOR: Role = "moderator"
SHOWN = 5
USAGES = {
    "bookmark add": "!bookmark add <url> [title]",
    "bookmark list": "!bookmark list",
    "bookmark search": "!bookmark search <words>",
    "bookmark remove": "!bookmark remove <id>",
}
ROLES: dict[str, Role] = {"bookmark add": MODERATOR, "bookmark remove": MODERATOR}


@dataclass(frozen=True, slots=True)
class Bookmark:
    id: int
    url: str
    title: str


def check_url(text: str) -> str | None:
    """An http(s) URL with a host, at most 2000 characters; else None."""
    if len(text) > URL_MAX_LENGTH or any(c.isspace() for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return text


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _live(db: Any, community_id: int) -> Any:
    b = db.bookmarks
    return (b.community_id == community_id) & (b.removed_at == None)  # noqa: E711


def _to_bookmark(row: Any) -> Bookmark:
    return Bookmark(row.id, row.url, row.title or "")


def _insert(db: Any, community_id: int, url: str, title: str, request: CommandRequest) -> int:
    user = request.event.user
    bookmark_id: int = db.bookmarks.insert(
        community_id=community_id,
        url=url,
        title=title or None,
        search_text=f"{url} {title}".casefold(),
        created_by_platform=request.event.platform,
        created_by_user_id=user.platform_user_id,
        created_by_username=user.username,
        created_at=_now(),
    )
    return bookmark_id


def _page(db: Any, community_id: int, words: list[str]) -> tuple[list[Bookmark], int]:
    query = _live(db, community_id)
    for word in words:
        query &= db.bookmarks.search_text.contains(word, case_sensitive=True)
    total: int = db(query).count()
    rows = db(query).select(orderby=~db.bookmarks.id, limitby=(0, SHOWN))
    return [_to_bookmark(row) for row in rows], total


def _remove(db: Any, community_id: int, bookmark_id: int) -> bool:
    return bool(db(_live(db, community_id) & (db.bookmarks.id == bookmark_id)).update(removed_at=_now()))


def format_list(found: list[Bookmark], total: int) -> str:
    parts = [f"#{b.id} {b.title} — {b.url}" if b.title else f"#{b.id} {b.url}" for b in found]
    more = f" (+{total - len(found)} more)" if total > len(found) else ""
    return " | ".join(parts) + more


async def add(res: Resources, request: CommandRequest) -> Responses:
    """`!bookmark add <url> [title]`."""
    community_id = community_of(request)
    parts = request.args_text.strip().split(None, 1)
    url = check_url(parts[0]) if parts else None
    if url is None:
        return answer(request, "Usage: " + USAGES["bookmark add"] + " (an http or https link)")
    title = clean(parts[1])[:TITLE_MAX_LENGTH] if len(parts) == 2 else ""
    if not title:
        settings = res.settings
        allowed = settings.memories_fetch_allowed_networks if isinstance(settings, MemoriesSettings) else []
        timeout = settings.memories_fetch_timeout if isinstance(settings, MemoriesSettings) else 3.0
        title = await fetch_title(url, allowed_networks=allowed, timeout=timeout) or ""
    bookmark_id = await res.db.run(_insert, community_id, url, title, request)
    log.info("bookmark.created", community_id=community_id, bookmark_id=bookmark_id, titled=bool(title))
    if title:
        return answer(request, f"Bookmark #{bookmark_id} saved: {title}")
    return answer(request, f"Bookmark #{bookmark_id} saved (no title found).")


async def list_bookmarks(res: Resources, request: CommandRequest) -> Responses:
    """`!bookmark list`: the newest ones."""
    community_id = community_of(request)
    found, total = await res.db.read(_page, community_id, [])
    if not found:
        return answer(request, "No bookmarks yet.")
    return answer(request, "Bookmarks: " + format_list(found, total))


async def search(res: Resources, request: CommandRequest) -> Responses:
    """`!bookmark search <words>`."""
    community_id = community_of(request)
    words = search_words(request.args_text)
    if not words:
        return answer(request, "Usage: " + USAGES["bookmark search"])
    found, total = await res.db.read(_page, community_id, words)
    if not found:
        return answer(request, "No bookmark matches that search.")
    return answer(request, format_list(found, total))


async def remove(res: Resources, request: CommandRequest) -> Responses:
    """`!bookmark remove <id>`."""
    community_id = community_of(request)
    bookmark_id = parse_number(request.args[0]) if len(request.args) == 1 else None
    if bookmark_id is None:
        return answer(request, "Usage: " + USAGES["bookmark remove"])
    if await res.db.run(_remove, community_id, bookmark_id):
        return answer(request, f"Bookmark #{bookmark_id} removed.")
    return answer(request, f"No bookmark #{bookmark_id}.")
