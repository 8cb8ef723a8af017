"""Timers: a message posted every N minutes while the channel is live and chat is active.

How a timer fires. Every chat with enabled timers that is "on" (a Twitch channel between
stream.online and stream.offline; a Discord or Slack chat always) has one *tick* job on the
shared durable scheduler (flask_core.scheduler, kind `timer_tick`, every minute on the
minute). A tick posts at most ONE timer of its chat — the most overdue of those whose
period has passed and whose chat had at least `--lines` messages since it last posted —
so two timers of one chat never post in the same minute, and they spread out by
themselves. The post goes through the router's messages API with message id
`timers:timer_tick:<chat>:<minute>` (flask_core.outbound), so a tick fired twice (a lost
lease, a second replica) posts once; the scheduler's claim makes one replica fire it.

Chat lines are counted from the router's fan-out of `chat_message` events (§12): one
Redis INCR per line (in process without Redis), never a database write. A timer keeps
the count at its last post (`lines_mark`); a counter that went back (Redis flushed)
counts from zero.

Discord and Slack have no "live": their timers run all the time, unless added with
`--live`, which makes them follow the live state of the community's Twitch channel(s).
A Twitch channel's live state is learnt from stream.online / stream.offline; until the
first of those arrives it counts as offline (the `!timer add` answer says so).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_core import Resources, get_logger
from flask_core.message_limits import fit
from flask_core.outbound import post_message
from flask_core.scheduler import SCHEDULED, Job, add_job, cancel_job
from flask_core.templates import STANDARD_FUNCTIONS, expand, standard_values

log = get_logger(__name__)
PREFIX = "timers"
KIND = "timer_tick"
EVERY_MINUTE = "FREQ=MINUTELY"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}", re.ASCII)
MAX_MINUTES = 24 * 60
MAX_LINES = 1000
TEXT_MAX = 400
DEFAULT_LINES = 5
#: A tick on the minute counts a period as passed this much early, so a 1-minute timer
#: armed at 10:00:20 posts at 10:01:00, not at 10:02:00.
SLACK = timedelta(seconds=30)
LINES_TTL = 7 * 24 * 3600
CLOCK_KEY = "timers.clock"

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def clock_of(res: Resources) -> datetime:
    """Now, by the clock the timers' scheduler uses (tests move it instead of sleeping)."""
    clock: Clock = res.extras.get(CLOCK_KEY, utcnow)
    return clock()


def _naive(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _minute(when: datetime) -> datetime:
    """A timer's period counts from the minute it was armed in (ticks run on the minute)."""
    return _naive(when).replace(second=0)


def _aware(when: datetime | None) -> datetime | None:
    return None if when is None else when.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Chat:
    """Where timers post: a channel of a community on one platform."""

    community_id: int
    platform: str
    server_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class Timer:
    id: int
    community_id: int
    name: str
    minutes: int
    min_lines: int
    text: str
    enabled: bool
    follow_live: bool
    chat: Chat
    channel_name: str
    armed_at: datetime
    last_posted_at: datetime | None
    lines_mark: int
    posts: int

    @classmethod
    def of(cls, row: Any) -> Timer:
        return cls(
            id=int(row.id),
            community_id=int(row.community_id),
            name=str(row.name),
            minutes=int(row.minutes),
            min_lines=int(row.min_lines),
            text=str(row.text),
            enabled=bool(row.enabled),
            follow_live=bool(row.follow_live),
            chat=Chat(int(row.community_id), row.platform, row.server_id, row.channel_id),
            channel_name=str(row.channel_name or ""),
            armed_at=row.armed_at.replace(tzinfo=UTC),
            last_posted_at=_aware(row.last_posted_at),
            lines_mark=int(row.lines_mark or 0),
            posts=int(row.posts or 0),
        )

    def due(self, at: datetime) -> bool:
        """Whether its period has passed at `at` (a tick's occurrence)."""
        since = self.last_posted_at or self.armed_at
        return at - since >= timedelta(minutes=self.minutes) - SLACK

    def lines_since(self, count: int) -> int:
        return count - self.lines_mark if count >= self.lines_mark else count


class TimerError(ValueError):
    """What to tell the moderator about a timer that cannot be added or changed."""


# --- chat lines (Redis INCR, in process without Redis) ---------------------------------------


def _lines_key(res: Resources, chat: Chat) -> str:
    return f"{res.settings.redis_key_prefix}timers:lines:{chat.platform}:{chat.server_id}:{chat.channel_id}"


async def count_line(res: Resources, chat: Chat) -> None:
    key = _lines_key(res, chat)
    if res.redis is None:
        counters: dict[str, int] = res.extras.setdefault("timers.lines", {})
        counters[key] = counters.get(key, 0) + 1
        return
    async with res.redis.pipeline(transaction=False) as pipe:
        pipe.incr(key)
        pipe.expire(key, LINES_TTL)
        await pipe.execute()


async def lines(res: Resources, chat: Chat) -> int:
    key = _lines_key(res, chat)
    if res.redis is None:
        counters: dict[str, int] = res.extras.get("timers.lines", {})
        return counters.get(key, 0)
    value = await res.redis.get(key)
    return int(value or 0)


# --- the text --------------------------------------------------------------------------------


def render(timer: Timer) -> str:
    """The timer's text with the aliases' variables, fitted to the platform (never re-expanded).

    There is no caller: `$(user)` and `$(channel)` are the chat's name, `$(count)` counts
    the timer's posts.
    """
    values = standard_values(
        user=timer.channel_name,
        args=[],
        args_text="",
        channel=timer.channel_name,
        platform=timer.chat.platform,
        count=timer.posts + 1,
    )
    return fit(expand(timer.text, values, STANDARD_FUNCTIONS), timer.chat.platform)


# --- units of work ---------------------------------------------------------------------------


def _chat_query(db: Any, chat: Chat) -> Any:
    t = db.timer_channels
    return (
        (t.community_id == chat.community_id)
        & (t.platform == chat.platform)
        & (t.channel_id == chat.channel_id)
    )


def _chat_row(db: Any, chat: Chat, now: datetime) -> Any:
    """The chat's state row, made on first use (offline for Twitch until it goes live)."""
    row = db(_chat_query(db, chat)).select().first()
    if row is None:
        db.timer_channels.insert(
            community_id=chat.community_id,
            platform=chat.platform,
            server_id=chat.server_id,
            channel_id=chat.channel_id,
            live=False,
            updated_at=_naive(now),
        )
        row = db(_chat_query(db, chat)).select().first()
    return row


def _is_on(db: Any, row: Any) -> bool:
    """Whether a chat runs its tick: Twitch while live, Discord and Slack always."""
    return bool(row.live) if row.platform == "twitch" else True


def _next_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _ensure_tick(db: Any, row: Any, now: datetime) -> None:
    """Give an "on" chat with enabled timers its tick job (once, whatever the races)."""
    t = db.timers
    has_timers = not db(
        (t.community_id == row.community_id)
        & (t.platform == row.platform)
        & (t.channel_id == row.channel_id)
        & (t.enabled == True)  # noqa: E712
    ).isempty()
    if not (has_timers and _is_on(db, row)):
        _stop_tick(db, row)
        return
    if row.job_id:
        job = db(db.scheduled_jobs.id == row.job_id).select(db.scheduled_jobs.state).first()
        if job is not None and job.state == SCHEDULED:
            return
    job_id = add_job(db, KIND, _next_minute(now), {"chat": int(row.id)}, rrule=EVERY_MINUTE, now=now)
    c = db.timer_channels
    previous = row.job_id or None
    taken = db((c.id == row.id) & (c.job_id == previous)).update(job_id=job_id, updated_at=_naive(now))
    if not taken:  # another unit gave it one meanwhile
        cancel_job(db, job_id)


def _stop_tick(db: Any, row: Any) -> None:
    if row.job_id:
        cancel_job(db, int(row.job_id))
        db(db.timer_channels.id == row.id).update(job_id=None)


def _arm(db: Any, query: Any, now: datetime, count_of: dict[tuple[str, str, str], int]) -> None:
    """Start counting the timers of `query` afresh (their period and lines) from `now`."""
    for row in db(query).select(db.timers.id, db.timers.platform, db.timers.server_id, db.timers.channel_id):
        mark = count_of.get((row.platform, row.server_id, row.channel_id), 0)
        db(db.timers.id == row.id).update(armed_at=_minute(now), last_posted_at=None, lines_mark=mark)


def add_timer(
    db: Any,
    *,
    chat: Chat,
    name: str,
    minutes: int,
    min_lines: int,
    text: str,
    follow_live: bool,
    channel_name: str,
    created_by: str,
    count: int,
    now: datetime,
    limit: int,
) -> tuple[Timer, bool]:
    """Store a timer; (the timer, whether its chat is on now). TimerError on a clash or limit."""
    t = db.timers
    if not db((t.community_id == chat.community_id) & (t.name == name)).isempty():
        raise TimerError(f"There is a timer called {name} already; remove it first.")
    if db(t.community_id == chat.community_id).count() >= limit:
        raise TimerError(f"This community has {limit} timers already; remove one first.")
    timer_id = t.insert(
        community_id=chat.community_id,
        name=name,
        minutes=minutes,
        min_lines=min_lines,
        text=text,
        enabled=True,
        follow_live=follow_live,
        platform=chat.platform,
        server_id=chat.server_id,
        channel_id=chat.channel_id,
        channel_name=channel_name[:100],
        created_by=created_by[:100],
        created_at=_naive(now),
        armed_at=_minute(now),
        lines_mark=count,
        posts=0,
    )
    row = _chat_row(db, chat, now)
    _ensure_tick(db, row, now)
    return Timer.of(db(t.id == timer_id).select().first()), _is_on(db, row)


def find(db: Any, community_id: int, name: str) -> Timer | None:
    t = db.timers
    row = db((t.community_id == community_id) & (t.name == name)).select().first()
    return None if row is None else Timer.of(row)


def list_timers(db: Any, community_id: int) -> list[Timer]:
    t = db.timers
    return [Timer.of(r) for r in db(t.community_id == community_id).select(orderby=t.name)]


def remove_timer(db: Any, timer: Timer, now: datetime) -> bool:
    removed = bool(db(db.timers.id == timer.id).delete())
    row = db(_chat_query(db, timer.chat)).select().first()
    if row is not None:
        _ensure_tick(db, row, now)
    return removed


def set_enabled(db: Any, timer: Timer, enabled: bool, count: int, now: datetime) -> None:
    update: dict[str, Any] = {"enabled": enabled}
    if enabled and not timer.enabled:  # switched on: its period and lines count from now
        update.update(armed_at=_minute(now), last_posted_at=None, lines_mark=count)
    db(db.timers.id == timer.id).update(**update)
    _ensure_tick(db, _chat_row(db, timer.chat, now), now)


def set_live(db: Any, chat: Chat, live: bool, now: datetime, counts: dict[tuple[str, str, str], int]) -> int:
    """stream.online / stream.offline of a Twitch channel: arm or stop its timers.

    Timers in the community's other chats added with `--live` follow it too. Returns how
    many timers it concerns.
    """
    row = _chat_row(db, chat, now)
    if bool(row.live) == live:
        return 0  # a repeat (or an offline we already knew of)
    db(db.timer_channels.id == row.id).update(
        live=live, live_since=_naive(now) if live else None, updated_at=_naive(now)
    )
    row = db(db.timer_channels.id == row.id).select().first()
    t = db.timers
    own = (
        (t.community_id == chat.community_id)
        & (t.platform == chat.platform)
        & (t.channel_id == chat.channel_id)
    )
    followers = (t.community_id == chat.community_id) & (t.follow_live == True) & (t.platform != "twitch")  # noqa: E712
    if live:
        _arm(db, own | followers, now, counts)
    _ensure_tick(db, row, now)
    return int(db(own | followers).count())


def _community_live(db: Any, community_id: int) -> bool:
    c = db.timer_channels
    return not db((c.community_id == community_id) & (c.platform == "twitch") & (c.live == True)).isempty()  # noqa: E712


def _tick_state(db: Any, chat_row_id: int) -> tuple[Any, list[Timer], bool] | None:
    row = db(db.timer_channels.id == chat_row_id).select().first()
    if row is None:
        return None
    t = db.timers
    query = (
        (t.community_id == row.community_id)
        & (t.platform == row.platform)
        & (t.channel_id == row.channel_id)
        & (t.enabled == True)  # noqa: E712
    )
    timers = [Timer.of(r) for r in db(query).select(orderby=t.id)]
    return row, timers, _community_live(db, int(row.community_id))


def _posted(db: Any, timer_id: int, at: datetime, count: int) -> None:
    t = db.timers
    db(t.id == timer_id).update(last_posted_at=_naive(at), lines_mark=count, posts=t.posts + 1)


# --- the tick --------------------------------------------------------------------------------


def pick(row: Any, timers: list[Timer], community_live: bool, at: datetime, count: int) -> Timer | None:
    """The one timer this tick posts: the most overdue that is on, due and has its lines."""

    def on(timer: Timer) -> bool:
        if row.platform == "twitch":
            return bool(row.live)
        return community_live if timer.follow_live else True

    ready = [t for t in timers if on(t) and t.due(at) and t.lines_since(count) >= t.min_lines]
    if not ready:
        return None
    return min(ready, key=lambda t: (t.last_posted_at or t.armed_at, t.id))


async def tick(res: Resources, job: Job) -> str | None:
    """One tick of one chat; the name of the timer it posted, or None."""
    assert job.occurrence is not None
    state = await res.db.read(_tick_state, int(job.payload.get("chat", 0)))
    if state is None:
        log.warning("timers.tick_without_chat", job_id=job.id)
        return None
    row, timers, community_live = state
    if not timers:
        return None
    chat = Chat(int(row.community_id), row.platform, row.server_id, row.channel_id)
    count = await lines(res, chat)
    timer = pick(row, timers, community_live, job.occurrence, count)
    if timer is None:
        return None
    outcome = await post_message(
        res,
        PREFIX,
        message_id=job.message_id(PREFIX, int(row.id)),
        community_id=chat.community_id,
        platform=chat.platform,
        server_id=chat.server_id,
        channel_id=chat.channel_id,
        responses=[{"type": "chat", "text": render(timer)}],
    )
    if outcome is None:
        return None  # refused for good; the next tick tries again
    await res.db.run(_posted, timer.id, job.occurrence, count)
    log.info("timers.posted", timer_id=timer.id, occurrence=job.occurrence_key, outcome=outcome)
    return timer.name


def change(db: Any, timer_id: int, changes: dict[str, Any]) -> None:
    """The portal's edit of minutes, min_lines or text (validated by the schema)."""
    db(db.timers.id == timer_id).update(**changes)
