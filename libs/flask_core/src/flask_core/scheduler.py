"""A durable scheduler shared by every service with timed work (reminders, calendar, timers).

Jobs live in the service's database (table `scheduled_jobs`), never only in memory:

    id, kind, payload (JSON), next_run_at (naive UTC; NULL once finished), rrule + tz +
    anchor_at (a recurrence, computed in the owner's time zone), state (scheduled |
    done | cancelled | failed), claimed_until + claimed_by (the lease of the replica
    firing it), attempts, fired, last_occurrence, created_at.

A replica claims due jobs atomically — `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL,
a conditional `UPDATE … WHERE claimed_until IS NULL OR claimed_until <= now` on SQLite —
so several replicas fire each occurrence once. A job whose lease ran out (its replica
died while firing) is claimed again; handlers are therefore idempotent per
(job, occurrence): `Job.message_id(prefix, ref)` is the §12 key
`<prefix>:<kind>:<ref>:<occurrence>` (e.g. `memories:reminder:42:2026-12-01T09:00Z`)
that the router's module-initiated messages API dedupes on.

After a restart, missed occurrences fire once, late: a due job is simply claimed; a
recurring one then moves to its next occurrence after *now* (missed repeats are not
replayed one by one). A handler that raises is retried with a capped backoff (the
occurrence is kept) up to `max_attempts`, then the occurrence is given up.

    define_tables(db)                     register with create_app(models=[...])
    add_job(db, kind, run_at, payload, rrule=None, tz="UTC") -> id   (sync, inside a unit)
    cancel_job(db, job_id) -> bool        (sync, inside a unit)
    next_occurrence(rrule, tz, anchor, after) -> datetime | None     (aware UTC)
    Scheduler(db, {kind: handler}, clock=...)   .run_due() one pass; .run() the loop
                                          (run it with flask_core.supervise.supervise)
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr
from pydal import Field

from . import metrics
from .database import AsyncDAL, ensure_index
from .logging import get_logger

log = get_logger(__name__)
TABLE = "scheduled_jobs"
SCHEDULED, DONE, CANCELLED, FAILED = "scheduled", "done", "cancelled", "failed"
FIRED = metrics.counter(
    "waddlebot_scheduler_fired_total", "Scheduled job occurrences fired", ("kind", "outcome")
)
#: Recurrences more frequent than this are refused (occurrence keys have minute precision).
_FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY")

Clock = Callable[[], datetime]
Handler = Callable[["Job"], Awaitable[None]]


class InvalidSchedule(ValueError):
    """An RRULE or time zone that cannot be used."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def _naive(when: datetime) -> datetime:
    """Stored form: naive UTC, whole seconds (pydal's datetime has no zone)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.replace(microsecond=0)


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC)


def define_tables(db: Any) -> None:
    """Define `scheduled_jobs` (one table per service database, shared by every kind)."""
    db.define_table(
        TABLE,
        Field("kind", "string", length=64, notnull=True),
        Field("payload", "text"),
        Field("next_run_at", "datetime"),
        Field("rrule", "string", length=500),
        Field("tz", "string", length=64),
        Field("anchor_at", "datetime"),  # the first occurrence, wall-clock time in `tz`
        Field("state", "string", length=16, notnull=True, default=SCHEDULED),
        Field("claimed_until", "datetime"),
        Field("claimed_by", "string", length=64),
        Field("attempts", "integer", notnull=True, default=0),
        Field("fired", "integer", notnull=True, default=0),
        Field("last_occurrence", "datetime"),
        Field("created_at", "datetime", notnull=True),
    )
    ensure_index(db, TABLE, "scheduled_jobs_due", ("state", "next_run_at"))


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidSchedule(f"unknown time zone {tz!r}") from exc


def check_rrule(rrule: str) -> str:
    """The rule, upper-cased without an `RRULE:` prefix; InvalidSchedule when unusable."""
    rule = rrule.strip().upper().removeprefix("RRULE:")
    freq = dict(part.split("=", 1) for part in rule.split(";") if "=" in part).get("FREQ")
    if freq not in _FREQUENCIES or "\n" in rule or "DTSTART" in rule:
        raise InvalidSchedule("a recurrence needs FREQ (minutely or slower) and no DTSTART")
    try:
        rrulestr(rule, dtstart=datetime(2026, 1, 1))
    except (ValueError, TypeError) as exc:
        raise InvalidSchedule(f"invalid RRULE: {exc}") from exc
    return rule


def next_occurrence(rrule: str, tz: str, anchor: datetime, after: datetime) -> datetime | None:
    """The first occurrence of `rrule` strictly after `after`, as aware UTC.

    The rule runs on wall-clock time in `tz` from `anchor` (naive local time, or aware),
    so "every day at 09:00" stays at 09:00 across daylight-saving changes.
    """
    local = zone(tz)
    start = anchor.astimezone(local) if anchor.tzinfo else anchor.replace(tzinfo=local)
    rule = rrulestr(check_rrule(rrule), dtstart=start.replace(microsecond=0))
    found = rule.after(after.astimezone(local), inc=False)
    return None if found is None else found.astimezone(UTC).replace(microsecond=0)


def add_job(
    db: Any,
    kind: str,
    run_at: datetime,
    payload: Mapping[str, Any] | None = None,
    *,
    rrule: str | None = None,
    tz: str = "UTC",
    now: datetime | None = None,
) -> int:
    """Store a job (inside the caller's unit of work, so it commits with the caller's rows).

    `run_at` is the first occurrence; with `rrule` it is also the recurrence's anchor.
    """
    zone(tz)
    rule = check_rrule(rrule) if rrule else None
    anchor = run_at.astimezone(zone(tz)).replace(tzinfo=None) if rule else None
    job_id: int = db[TABLE].insert(
        kind=kind,
        payload=json.dumps(dict(payload or {})),
        next_run_at=_naive(run_at),
        rrule=rule,
        tz=tz,
        anchor_at=anchor,
        state=SCHEDULED,
        attempts=0,
        fired=0,
        created_at=_naive(now or utcnow()),
    )
    return job_id


def cancel_job(db: Any, job_id: int) -> bool:
    """Cancel a scheduled job; an occurrence being fired right now is not settled after it."""
    t = db[TABLE]
    return bool(db((t.id == job_id) & (t.state == SCHEDULED)).update(state=CANCELLED, next_run_at=None))


def get_job(db: Any, job_id: int) -> Job | None:
    row = db(db[TABLE].id == job_id).select().first()
    return None if row is None else Job.of(row)


@dataclass(frozen=True, slots=True)
class Job:
    """One job as stored; `occurrence` is the due time being fired (aware UTC)."""

    id: int
    kind: str
    payload: dict[str, Any]
    occurrence: datetime | None
    state: str
    rrule: str | None
    tz: str
    anchor_at: datetime | None
    attempts: int
    fired: int

    @classmethod
    def of(cls, row: Any) -> Job:
        return cls(
            id=row.id,
            kind=row.kind,
            payload=json.loads(row.payload or "{}"),
            occurrence=_aware(row.next_run_at) if row.next_run_at else None,
            state=row.state,
            rrule=row.rrule or None,
            tz=row.tz or "UTC",
            anchor_at=row.anchor_at,
            attempts=row.attempts or 0,
            fired=row.fired or 0,
        )

    @property
    def occurrence_key(self) -> str:
        """The occurrence in §12's form, `2026-12-01T09:00Z`."""
        assert self.occurrence is not None
        return self.occurrence.strftime("%Y-%m-%dT%H:%MZ")

    def message_id(self, prefix: str, ref: object | None = None) -> str:
        """`<prefix>:<kind>:<ref or job id>:<occurrence>`: the idempotency key of this firing."""
        return f"{prefix}:{self.kind}:{self.id if ref is None else ref}:{self.occurrence_key}"

    def following(self, now: datetime) -> datetime | None:
        """The next occurrence after this one and after `now` (None: it does not recur)."""
        if not self.rrule or self.occurrence is None:
            return None
        anchor = self.anchor_at or self.occurrence
        return next_occurrence(self.rrule, self.tz, anchor, max(now, self.occurrence))


# --- the claim, in one unit of work --------------------------------------------------------


def _claim(db: Any, kinds: list[str], now: datetime, lease: float, worker: str, limit: int) -> list[Job]:
    t = db[TABLE]
    at, until = _naive(now), _naive(now + timedelta(seconds=lease))
    free = (t.claimed_until == None) | (t.claimed_until <= at)  # noqa: E711
    due = (t.state == SCHEDULED) & (t.next_run_at <= at) & free & t.kind.belongs(kinds)
    if db._dbname == "postgres":
        # Row locks: a second replica skips the rows this one is claiming, never waits.
        sql = db(due)._select(t.id, orderby=t.next_run_at, limitby=(0, limit)).rstrip().rstrip(";")
        ids = [row[0] for row in db.executesql(sql + " FOR UPDATE SKIP LOCKED;")]
        if ids:
            db(t.id.belongs(ids)).update(claimed_until=until, claimed_by=worker)
    else:
        ids = []
        for row in db(due).select(t.id, t.next_run_at, orderby=t.next_run_at, limitby=(0, limit)):
            # Conditional update: only one process's UPDATE finds the row still free.
            mine = (t.id == row.id) & (t.next_run_at == row.next_run_at) & (t.state == SCHEDULED) & free
            if db(mine).update(claimed_until=until, claimed_by=worker):
                ids.append(row.id)
    if not ids:
        return []
    rows = db(t.id.belongs(ids) & (t.claimed_by == worker)).select(orderby=t.next_run_at)
    return [Job.of(row) for row in rows]


def _settle(db: Any, job: Job, worker: str, next_at: datetime | None) -> bool:
    """Record a fired occurrence: the next one, or done. Only by the lease holder."""
    t = db[TABLE]
    assert job.occurrence is not None
    mine = (
        (t.id == job.id)
        & (t.claimed_by == worker)
        & (t.state == SCHEDULED)
        & (t.next_run_at == _naive(job.occurrence))
    )
    common = {
        "claimed_until": None,
        "claimed_by": None,
        "attempts": 0,
        "fired": job.fired + 1,
        "last_occurrence": _naive(job.occurrence),
    }
    if next_at is None:
        return bool(db(mine).update(state=DONE, next_run_at=None, **common))
    return bool(db(mine).update(next_run_at=_naive(next_at), **common))


def _retry_later(db: Any, job: Job, worker: str, until: datetime, give_up: datetime | None) -> None:
    """A failed firing: keep the occurrence, lease it out until `until`; or give it up."""
    t = db[TABLE]
    assert job.occurrence is not None
    mine = (t.id == job.id) & (t.claimed_by == worker) & (t.state == SCHEDULED)
    if give_up is not None:
        db(mine).update(next_run_at=_naive(give_up), claimed_until=None, claimed_by=None, attempts=0)
    else:
        db(mine).update(claimed_until=_naive(until), claimed_by=None, attempts=job.attempts + 1)


def _fail(db: Any, job: Job, worker: str) -> None:
    t = db[TABLE]
    mine = (t.id == job.id) & (t.claimed_by == worker) & (t.state == SCHEDULED)
    db(mine).update(state=FAILED, next_run_at=None, claimed_until=None, claimed_by=None)


class Scheduler:
    """Fires the due jobs of the given kinds through their handlers.

    `clock` is injectable (tests advance it instead of sleeping). `lease` is how long a
    claim holds before another replica may take the job again (longer than a handler
    takes). `run()` loops forever: run it under `flask_core.supervise.supervise`.
    """

    def __init__(
        self,
        db: AsyncDAL,
        handlers: Mapping[str, Handler],
        *,
        clock: Clock = utcnow,
        interval: float = 1.0,
        lease: float = 60.0,
        batch: int = 20,
        max_attempts: int = 10,
        retry_base: float = 5.0,
        retry_cap: float = 300.0,
        worker: str | None = None,
    ) -> None:
        self.db = db
        self.handlers = dict(handlers)
        self.clock = clock
        self.interval = interval
        self.lease = lease
        self.batch = batch
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.worker = worker or uuid.uuid4().hex[:16]

    async def run(self) -> None:
        """Poll for due jobs until cancelled; a full batch is followed at once by the next."""
        while True:
            fired = await self.run_due()
            if fired < self.batch:
                await asyncio.sleep(self.interval)

    async def run_due(self) -> int:
        """One pass: claim up to `batch` due jobs, fire them concurrently, settle each."""
        now = self.clock()
        jobs = await self.db.run(_claim, list(self.handlers), now, self.lease, self.worker, self.batch)
        if jobs:
            await asyncio.gather(*(self._fire(job) for job in jobs))
        return len(jobs)

    async def _fire(self, job: Job) -> None:
        try:
            await self.handlers[job.kind](job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._failed(job, exc)
            return
        next_at = job.following(self.clock())
        settled = await self.db.run(_settle, job, self.worker, next_at)
        FIRED.labels("scheduler", job.kind, "fired").inc()
        log.info(
            "scheduler.fired",
            kind=job.kind,
            job_id=job.id,
            occurrence=job.occurrence_key,
            next_run_at=next_at.isoformat() if next_at else None,
            settled=settled,
        )

    async def _failed(self, job: Job, exc: Exception) -> None:
        attempts = job.attempts + 1
        FIRED.labels("scheduler", job.kind, "failed").inc()
        log.warning(
            "scheduler.fire_failed",
            kind=job.kind,
            job_id=job.id,
            occurrence=job.occurrence_key,
            attempts=attempts,
            error=repr(exc)[:300],
        )
        if attempts < self.max_attempts:
            delay = min(self.retry_cap, self.retry_base * 2 ** (attempts - 1))
            until = self.clock() + timedelta(seconds=random.uniform(delay / 2, delay))
            await self.db.run(_retry_later, job, self.worker, until, None)
            return
        log.warning("scheduler.occurrence_given_up", kind=job.kind, job_id=job.id, attempts=attempts)
        next_at = job.following(self.clock())
        if next_at is None:
            await self.db.run(_fail, job, self.worker)
        else:
            await self.db.run(_retry_later, job, self.worker, self.clock(), next_at)
