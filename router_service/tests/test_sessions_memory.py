"""The in-process session store (embedded backend): expiry in order, at the cost of what expires."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from flask_core.errors import Conflict, NotFound
from waddlebot_router.sessions import Sessions


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def store(clock: Clock, ttl: float = 900.0) -> Sessions:
    res: Any = SimpleNamespace(redis=None, settings=SimpleNamespace(redis_key_prefix="wb:"))
    return Sessions(res, ttl, clock=clock)


def ctx(n: int) -> dict[str, Any]:
    return {"invocation_id": f"inv-{n}", "platform": "twitch", "channel_id": "c1"}


async def test_sessions_expire_after_their_ttl_and_answers_with_them(clock: Clock) -> None:
    s = store(clock, ttl=60)
    await s.put_many([ctx(1)])
    clock.now += 30
    await s.put_many([ctx(2)])
    assert (await s.answer("inv-1", [{"type": "chat", "text": "late"}]))["channel_id"] == "c1"
    with pytest.raises(Conflict):
        await s.answer("inv-1", [])
    clock.now += 31  # inv-1 is 61 s old, inv-2 31 s
    assert await s.late_answer("inv-1") == (False, [])
    assert (await s.late_answer("inv-2"))[0] is True
    assert "inv-1" not in s._answers  # its answer went with it
    clock.now += 30
    with pytest.raises(NotFound):
        await s.answer("inv-2", [])


async def test_a_session_put_again_lives_from_its_last_put(clock: Clock) -> None:
    s = store(clock, ttl=60)
    await s.put_many([ctx(1), ctx(2)])
    clock.now += 50
    await s.put_many([ctx(1)])  # a retried event stores its context again
    clock.now += 20
    assert (await s.late_answer("inv-1"))[0] is True
    assert (await s.late_answer("inv-2"))[0] is False


class CountingDict(dict[str, Any]):
    """A dict that counts the entries read through iteration (items, values, keys)."""

    read = 0

    def _count(self, entries: Any) -> Any:
        for entry in entries:
            CountingDict.read += 1
            yield entry

    def items(self) -> Any:  # type: ignore[override]
        return self._count(super().items())

    def values(self) -> Any:  # type: ignore[override]
        return self._count(super().values())

    def __iter__(self) -> Any:
        return self._count(super().__iter__())


async def test_a_full_store_costs_a_put_what_it_removes(clock: Clock) -> None:
    """15 minutes of a busy chat: 100,000 live sessions. A put used to copy all of them."""
    s = store(clock)
    await s.put_many([ctx(n) for n in range(100_000)])
    s._memory = CountingDict(s._memory)
    CountingDict.read = 0
    clock.now += 1
    for n in range(100_000, 100_100):
        await s.put_many([ctx(n)])
    assert CountingDict.read <= 100  # one look at the oldest session per put
    clock.now += 899.5  # the first 100,000 expire, the next 100 not yet
    CountingDict.read = 0
    await s.put_many([ctx(200_000)])
    assert len(s._memory) == 101 and CountingDict.read <= 100_001
    assert (await s.late_answer("inv-100050"))[0] is True
