"""Moderation domain logic: no Quart here; the database handle is passed in.

The service owns each community's rules (stored values over `flask_core.moderation.
RULES_DEFAULTS`, one row per community with a version), the `!permit` grants and the
moderation log. The router evaluates messages itself against a cached copy of
`rules_document` (key `cache_key`, ARCHITECTURE §12); every change here bumps the
version and invalidates that key, so every router replica reloads it. Regular
expressions are accepted only through the REST API, after `check_pattern`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import (
    AsyncDAL,
    CommandRequest,
    Resources,
    Responses,
    ValidationFailed,
    chat,
    get_logger,
    is_integrity_error,
)
from flask_core.message_limits import fit
from flask_core.moderation import FILTERS, MAX_PATTERNS, MAX_WORDS, check_pattern, merged

from .settings import ModerationSettings

log = get_logger(__name__)
ON, OFF = ("on", "enable", "enabled", "true"), ("off", "disable", "disabled", "false")


def cache_key(community_id: int) -> str:
    """The router's cached read of a community's rules (waddlebot_router.moderation)."""
    return f"moderation:rules:{community_id}"


def cache_keys(community_id: int) -> tuple[str, str]:
    """What a change invalidates: the rules and the routers' local version mark."""
    return cache_key(community_id), f"moderation:rules-version:{community_id}"


def _settings(res: Resources) -> ModerationSettings:
    s = res.settings
    return s if isinstance(s, ModerationSettings) else ModerationSettings.model_construct()


def _community(request: CommandRequest) -> int:
    if not request.community_id.isdigit():
        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(request.community_id)


# --- rules ---------------------------------------------------------------------------------


def _stored(d: Any, community_id: int) -> tuple[dict[str, Any], int]:
    row = d(d.moderation_rules.community_id == community_id).select(limitby=(0, 1)).first()
    return (dict(row.rules or {}), int(row.version)) if row else ({}, 0)


def _active_permits(d: Any, community_id: int, now: float) -> dict[str, float]:
    t = d.moderation_permits
    rows = d((t.community_id == community_id) & (t.expires_at > now)).select(t.username, t.expires_at)
    return {str(r.username): float(r.expires_at) for r in rows}


def _document(d: Any, community_id: int) -> dict[str, Any]:
    stored, version = _stored(d, community_id)
    doc = merged(stored)
    doc["version"] = version
    doc["permits"] = _active_permits(d, community_id, time.time())
    doc["community_id"] = community_id
    return doc


async def rules_document(db: AsyncDAL, community_id: int) -> dict[str, Any]:
    """The community's whole rule set, as the router caches it."""
    doc: dict[str, Any] = await db.read(_document, community_id)
    return doc


def _write(d: Any, community_id: int, stored: dict[str, Any]) -> None:
    """Store the values and bump the version (inserting the row the first time)."""
    t = d.moderation_rules
    now = datetime.now(UTC).replace(tzinfo=None)
    if not d(t.community_id == community_id).update(rules=stored, version=t.version + 1, updated_at=now):
        t.insert(community_id=community_id, rules=stored, version=1, updated_at=now)


async def _change(res: Resources, community_id: int, change: Any) -> dict[str, Any]:
    """Apply `change(stored) -> stored` in one unit of work; invalidate the routers' copy."""

    def run(d: Any) -> dict[str, Any]:
        stored, _ = _stored(d, community_id)
        _write(d, community_id, change(stored))
        return _document(d, community_id)

    try:
        doc: dict[str, Any] = await res.db.run(run)
    except Exception as exc:
        if not is_integrity_error(exc):
            raise
        doc = await res.db.run(run)  # another writer inserted the row first
    await res.cache.invalidate(*cache_keys(community_id))
    log.info("moderation.rules_changed", community_id=community_id, version=doc["version"])
    return doc


def _clean_words(words: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for word in words:
        w = " ".join(word.split()).lower()
        if not w or len(w) > 100:
            raise ValidationFailed("a banned word is 1-100 characters", details={"field": "words"})
        seen[w] = None
    if len(seen) > MAX_WORDS:
        raise ValidationFailed(f"at most {MAX_WORDS} banned words", details={"field": "words"})
    return list(seen)


async def update_rules(res: Resources, community_id: int, patch: dict[str, Any]) -> dict[str, Any]:
    """Merge `patch` (validated by schemas.RulesPatch) into the stored values.

    Patterns are checked first (`check_pattern`): one that may backtrack catastrophically
    refuses the whole change with 422 `catastrophic_pattern`.
    """
    filters = patch.get("filters") or {}
    words = filters.get("words") or {}
    if "patterns" in words:
        if len(words["patterns"]) > MAX_PATTERNS:
            raise ValidationFailed(f"at most {MAX_PATTERNS} patterns", details={"field": "patterns"})
        timeout = _settings(res).moderation_pattern_timeout
        for index, pattern in enumerate(words["patterns"]):
            try:
                await check_pattern(pattern, timeout=timeout)
            except ValueError as exc:
                raise ValidationFailed(
                    f"pattern refused: {exc}",
                    code="catastrophic_pattern",
                    details={"field": "patterns", "index": index},
                ) from None
    if "words" in words:
        words["words"] = _clean_words(words["words"])

    def change(stored: dict[str, Any]) -> dict[str, Any]:
        for key in ("exempt_roles",):
            if key in patch:
                stored[key] = patch[key]
        if "escalation" in patch:
            stored["escalation"] = {**stored.get("escalation", {}), **patch["escalation"]}
        stored_filters = stored.setdefault("filters", {})
        for name, values in filters.items():
            stored_filters[name] = {**stored_filters.get(name, {}), **values}
        return stored

    return await _change(res, community_id, change)


async def set_filter(res: Resources, community_id: int, name: str, enabled: bool) -> dict[str, Any]:
    return await update_rules(res, community_id, {"filters": {name: {"enabled": enabled}}})


async def change_words(res: Resources, community_id: int, word: str, *, add: bool) -> tuple[bool, int]:
    """Add or remove one plain banned word: (changed, how many there are now)."""
    word = " ".join(word.split()).lower()
    if not word or len(word) > 100:
        raise ValidationFailed("a banned word is 1-100 characters", details={"field": "word"})
    outcome = {"changed": False}

    def change(stored: dict[str, Any]) -> dict[str, Any]:
        f = stored.setdefault("filters", {}).setdefault("words", {})
        current: list[str] = list(f.get("words") or [])
        if add and word not in current:
            if len(current) >= MAX_WORDS:
                raise ValidationFailed(f"at most {MAX_WORDS} banned words", details={"field": "word"})
            current.append(word)
            outcome["changed"] = True
        elif not add and word in current:
            current.remove(word)
            outcome["changed"] = True
        f["words"] = current
        return stored

    doc = await _change(res, community_id, change)
    return outcome["changed"], len(doc["filters"]["words"]["words"])


async def permit(res: Resources, community_id: int, username: str, granted_by: str) -> float:
    """Let `username` post one link within MODERATION_PERMIT_SECONDS; when it ends."""
    name = username.removeprefix("@").strip().lower()
    if not name or len(name) > 100:
        raise ValidationFailed("permit whom? !permit @user", details={"field": "user"})
    ends = time.time() + _settings(res).moderation_permit_seconds

    def grant(d: Any) -> None:
        t = d.moderation_permits
        query = (t.community_id == community_id) & (t.username == name)
        t.update_or_insert(query, community_id=community_id, username=name, expires_at=ends,
                           granted_by=granted_by[:100])  # fmt: skip
        d((t.community_id == community_id) & (t.expires_at < time.time() - 3600)).delete()
        stored, _ = _stored(d, community_id)
        _write(d, community_id, stored)  # a new version: the routers reload the permits

    await res.db.run(grant)
    await res.cache.invalidate(*cache_keys(community_id))
    log.info("moderation.permit", community_id=community_id, user=name)
    return ends


# --- the log -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    community_id: int
    event_id: str
    platform: str
    channel_id: str
    user_id: str
    username: str
    rule: str
    action: str
    duration: int | None
    message: str
    created_at: datetime | None


def _entry(r: Any) -> LogEntry:
    return LogEntry(
        int(r.id), int(r.community_id), str(r.event_id), str(r.platform or ""), str(r.channel_id or ""),
        str(r.user_id or ""), str(r.username or ""), str(r.rule), str(r.action), r.duration,
        str(r.message or ""), r.created_at,
    )  # fmt: skip


async def record(db: AsyncDAL, records: list[dict[str, Any]]) -> int:
    """Store the router's records (one per moderated message); a repeat is ignored."""

    def insert(d: Any) -> int:
        t = d.moderation_log
        stored = 0
        for r in records:
            query = (t.community_id == r["community_id"]) & (t.event_id == r["event_id"])
            if d(query).count():
                continue
            at = r.get("at")
            t.insert(
                community_id=r["community_id"], event_id=r["event_id"], platform=r.get("platform"),
                channel_id=r.get("channel_id"), user_id=r.get("user_id"), username=r.get("username"),
                rule=r["rule"], action=r["action"], duration=r.get("duration"),
                message=str(r.get("message") or "")[:2000],
                created_at=(at if isinstance(at, datetime) else datetime.now(UTC)).replace(tzinfo=None),
            )  # fmt: skip
            stored += 1
        return stored

    try:
        count: int = await db.run(insert)
    except Exception as exc:
        if not is_integrity_error(exc):
            raise
        count = await db.run(insert)  # the same record arrived twice at once
    return count


async def list_log(
    db: AsyncDAL, community_id: int, *, limit: int, cursor: int | None = None, user: str | None = None
) -> tuple[list[LogEntry], int | None]:
    """Newest first; `cursor` = the last id seen. Returns (entries, next cursor)."""

    def select(d: Any) -> list[LogEntry]:
        t = d.moderation_log
        query = t.community_id == community_id
        if cursor is not None:
            query &= t.id < cursor
        if user:
            query &= t.username == user.lower()
        rows = d(query).select(orderby=~t.id, limitby=(0, limit + 1))
        return [_entry(r) for r in rows]

    rows: list[LogEntry] = await db.read(select)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


# --- chat commands -------------------------------------------------------------------------


def _say(request: CommandRequest, text: str) -> Responses:
    return chat(fit(text, request.event.platform))


async def filter_command(res: Resources, request: CommandRequest) -> Responses:
    """`!filter <name> on|off` (moderator)."""
    usage = f"Usage: !filter <{'|'.join(FILTERS)}> on|off, or !filter words add|remove <word>"
    if len(request.args) != 2 or request.args[0].lower() not in FILTERS:
        return _say(request, usage)
    name, state = request.args[0].lower(), request.args[1].lower()
    if state not in ON + OFF:
        return _say(request, usage)
    await set_filter(res, _community(request), name, state in ON)
    return _say(request, f"Filter {name} is {'on' if state in ON else 'off'}.")


async def words_add_command(res: Resources, request: CommandRequest) -> Responses:
    """`!filter words add <word>` (moderator): the word is not repeated into the chat."""
    if not request.args_text.strip():
        return _say(request, "Usage: !filter words add <word>")
    changed, total = await change_words(res, _community(request), request.args_text, add=True)
    head = "Banned word added" if changed else "That word is already banned"
    return _say(request, f"{head} ({total} in all).")


async def words_remove_command(res: Resources, request: CommandRequest) -> Responses:
    """`!filter words remove <word>` (moderator)."""
    if not request.args_text.strip():
        return _say(request, "Usage: !filter words remove <word>")
    changed, total = await change_words(res, _community(request), request.args_text, add=False)
    head = "Banned word removed" if changed else "That word was not banned"
    return _say(request, f"{head} ({total} left).")


async def permit_command(res: Resources, request: CommandRequest) -> Responses:
    """`!permit @user` (moderator): one link within MODERATION_PERMIT_SECONDS."""
    if len(request.args) != 1:
        return _say(request, "Usage: !permit @user")
    name = request.args[0].removeprefix("@")
    await permit(res, _community(request), name, request.event.user.username)
    seconds = int(_settings(res).moderation_permit_seconds)
    return _say(request, f"@{name} may post one link in the next {seconds} s.")
