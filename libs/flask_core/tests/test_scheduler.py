"""The durable scheduler on both databases: fire once, survive restarts, share with replicas."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from flask_core import scheduler
from flask_core.database import AsyncDAL
from flask_core.scheduler import InvalidSchedule, Job, Scheduler, add_job, cancel_job, next_occurrence

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves forward: no sleeping until something is due."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def _open(url: str) -> AsyncDAL:
    db = AsyncDAL(url, pool_size=4)
    db.add_models(scheduler.define_tables)
    await db.migrate()
    return db


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[AsyncDAL]:
    handle = await _open(database_url)
    await handle.run(lambda d: d(d.scheduled_jobs.id > 0).delete())
    try:
        yield handle
    finally:
        await handle.close()


class Recorder:
    def __init__(self, fail_times: int = 0) -> None:
        self.fired: list[tuple[int, str]] = []
        self.fail_times = fail_times

    async def __call__(self, job: Job) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("router unavailable")
        self.fired.append((job.id, job.message_id("test")))


async def add(db: AsyncDAL, run_at: datetime, **kw: Any) -> int:
    job_id: int = await db.run(lambda d: add_job(d, "reminder", run_at, {"x": 1}, now=T0, **kw))
    return job_id


async def test_a_one_minute_job_fires_once_when_due(db: AsyncDAL) -> None:
    clock, rec = Clock(), Recorder()
    job_id = await add(db, T0 + timedelta(minutes=1))
    s = Scheduler(db, {"reminder": rec}, clock=clock)
    assert await s.run_due() == 0  # not yet due
    clock.advance(seconds=59)
    assert await s.run_due() == 0
    clock.advance(seconds=1)
    assert await s.run_due() == 1
    clock.advance(minutes=5)
    assert await s.run_due() == 0  # done: never again
    assert rec.fired == [(job_id, f"test:reminder:{job_id}:2026-12-01T08:01Z")]
    job = await db.read(scheduler.get_job, job_id)
    assert job is not None and job.state == "done" and job.fired == 1


async def test_a_restarted_scheduler_fires_a_missed_job_once_late(database_url: str, db: AsyncDAL) -> None:
    job_id = await add(db, T0 + timedelta(minutes=10))
    # the first process stops before it is due; a new one starts an hour later
    first = Scheduler(db, {"reminder": Recorder()}, clock=Clock())
    assert await first.run_due() == 0
    later, rec = Clock(T0 + timedelta(hours=1)), Recorder()
    fresh = await _open(database_url)
    try:
        second = Scheduler(fresh, {"reminder": rec}, clock=later)
        assert await second.run_due() == 1
        later.advance(hours=1)
        assert await second.run_due() == 0
    finally:
        await fresh.close()
    assert [fired[0] for fired in rec.fired] == [job_id]


async def test_a_replica_that_died_while_firing_is_taken_over_after_its_lease(db: AsyncDAL) -> None:
    job_id = await add(db, T0)
    clock = Clock()
    await db.run(scheduler._claim, ["reminder"], clock(), 30.0, "dead-replica", 10)  # claimed, never settled
    rec = Recorder()
    s = Scheduler(db, {"reminder": rec}, clock=clock)
    assert await s.run_due() == 0  # the lease still holds
    clock.advance(seconds=31)
    assert await s.run_due() == 1
    assert rec.fired[0][0] == job_id


async def test_cancel_stops_a_job(db: AsyncDAL) -> None:
    clock, rec = Clock(), Recorder()
    job_id = await add(db, T0 + timedelta(minutes=1))
    assert await db.run(cancel_job, job_id) is True
    assert await db.run(cancel_job, job_id) is False
    clock.advance(minutes=2)
    assert await Scheduler(db, {"reminder": rec}, clock=clock).run_due() == 0
    assert rec.fired == []


async def test_a_failing_handler_is_retried_with_backoff_and_fires_once(db: AsyncDAL) -> None:
    clock, rec = Clock(), Recorder(fail_times=2)
    await add(db, T0)
    s = Scheduler(db, {"reminder": rec}, clock=clock, retry_base=10, retry_cap=10)
    assert await s.run_due() == 1  # failed
    assert await s.run_due() == 0  # backing off
    clock.advance(seconds=11)
    assert await s.run_due() == 1  # failed again
    clock.advance(seconds=11)
    assert await s.run_due() == 1
    clock.advance(seconds=11)
    assert await s.run_due() == 0
    assert len(rec.fired) == 1


async def test_a_daily_job_recurs_in_its_time_zone_and_skips_missed_repeats(db: AsyncDAL) -> None:
    berlin_9am = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 CET
    job_id = await add(db, berlin_9am, rrule="FREQ=DAILY", tz="Europe/Berlin")
    clock, rec = Clock(berlin_9am), Recorder()
    s = Scheduler(db, {"reminder": rec}, clock=clock)
    assert await s.run_due() == 1
    job = await db.read(scheduler.get_job, job_id)
    assert job is not None and job.occurrence == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    clock.advance(days=3, hours=2)  # down for three days: one late firing, then the next one ahead
    assert await s.run_due() == 1
    assert await s.run_due() == 0
    job = await db.read(scheduler.get_job, job_id)
    assert job is not None and job.occurrence == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    assert [m for _, m in rec.fired] == [
        f"test:reminder:{job_id}:2026-12-01T08:00Z",
        f"test:reminder:{job_id}:2026-12-02T08:00Z",
    ]


def test_rrule_next_occurrences_follow_wall_clock_time_across_dst() -> None:
    anchor = datetime(2026, 3, 27, 9, 0)  # local 09:00, the Friday before Europe's DST change
    after = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # = 09:00 CET, the anchor itself
    found = []
    for _ in range(3):
        nxt = next_occurrence("FREQ=DAILY", "Europe/Berlin", anchor, after)
        assert nxt is not None
        found.append(nxt)
        after = nxt
    # 09:00 CET is 08:00 UTC; after the change 09:00 CEST is 07:00 UTC
    assert found == [
        datetime(2026, 3, 28, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
    ]
    weekdays = next_occurrence(
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "UTC",
        datetime(2026, 12, 4, 9),
        datetime(2026, 12, 4, 9, tzinfo=UTC),
    )
    assert weekdays == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Friday → Monday
    assert (
        next_occurrence("FREQ=DAILY;COUNT=1", "UTC", datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC))
        is None
    )


@pytest.mark.parametrize(
    "rule", ["FREQ=SECONDLY", "BYHOUR=9", "FREQ=DAILY;BYHOUR=x", "DTSTART:2026\nFREQ=DAILY"]
)
def test_unusable_rrules_are_refused(rule: str) -> None:
    with pytest.raises(InvalidSchedule):
        scheduler.check_rrule(rule)


def test_unknown_time_zones_are_refused() -> None:
    with pytest.raises(InvalidSchedule):
        next_occurrence("FREQ=DAILY", "Mars/Olympus", datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC))


async def test_two_schedulers_on_one_database_fire_each_of_50_due_jobs_exactly_once(
    database_url: str, db: AsyncDAL
) -> None:
    ids = await db.run(lambda d: [add_job(d, "reminder", T0, {"n": n}, now=T0) for n in range(50)])
    fired: Counter[int] = Counter()

    async def handler(job: Job) -> None:
        await asyncio.sleep(0.005)  # the other replica claims meanwhile
        fired[job.id] += 1

    other = await _open(database_url)  # its own connections, as another replica's
    try:
        clock = Clock(T0 + timedelta(seconds=1))
        a = Scheduler(db, {"reminder": handler}, clock=clock, batch=7)
        b = Scheduler(other, {"reminder": handler}, clock=clock, batch=7)

        async def drain(s: Scheduler) -> int:
            total = 0
            for _ in range(200):  # a pass may find every candidate taken by the other
                if len(fired) == 50:
                    break
                total += await s.run_due()
                await asyncio.sleep(0)
            return total

        by_a, by_b = await asyncio.gather(drain(a), drain(b))
    finally:
        await other.close()
    assert sorted(fired) == sorted(ids)
    assert set(fired.values()) == {1}
    assert by_a + by_b == 50 and by_a > 0 and by_b > 0
