"""Rate limits on real Redis and in-process: the same semantics, atomic, fail closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from redis.asyncio import BlockingConnectionPool, Redis

from flask_core.errors import DependencyUnavailable
from flask_core.metrics import REGISTRY
from flask_core.ratelimit import Decision, RateLimiter, parse_rate

BACKENDS = pytest.mark.parametrize("limiter", ["memory", "redis"], indirect=True, ids=str)


@pytest_asyncio.fixture
async def pooled_client(redis_url: str, redis_client: Redis) -> AsyncIterator[Redis]:
    """A client as services should build it: bursts wait for a pooled connection.

    redis-py 8's default pool raises MaxConnectionsError past 100 connections in use,
    which a fail-closed limiter turns into 503s. (`redis_client` cleans the keys up.)
    """
    pool = BlockingConnectionPool.from_url(redis_url, max_connections=20, timeout=5)
    client = Redis(connection_pool=pool)
    try:
        yield client
    finally:
        await client.aclose()
        await pool.aclose()


@pytest.fixture
def limiter(request: pytest.FixtureRequest, key_prefix: str) -> RateLimiter:
    if request.param == "memory":
        return RateLimiter(None, prefix=key_prefix)
    return RateLimiter(request.getfixturevalue("pooled_client"), prefix=key_prefix)


def rejections(kind: str) -> float:
    labels = {"service": "core", "kind": kind}
    return REGISTRY.get_sample_value("waddlebot_ratelimit_rejections_total", labels) or 0.0


@BACKENDS
async def test_exactly_limit_of_200_concurrent_hits(limiter: RateLimiter) -> None:
    before = rejections("window")
    decisions = await asyncio.gather(*(limiter.hit("user:1", 10, 60) for _ in range(200)))
    allowed = [d for d in decisions if d.allowed]
    blocked = [d for d in decisions if not d.allowed]
    assert len(allowed) == 10
    assert sorted(d.remaining for d in allowed) == list(range(10))
    assert all(d.retry_after == 0.0 and not d.notify for d in allowed)
    assert sum(d.notify for d in blocked) == 1
    assert all(d.remaining == 0 and 0 < d.retry_after <= 60 for d in blocked)
    assert rejections("window") - before == 190
    # other keys are independent
    assert (await limiter.hit("user:2", 10, 60)).allowed


@BACKENDS
async def test_notify_once_per_block(limiter: RateLimiter) -> None:
    assert (await limiter.hit("k", 1, 0.3)).allowed
    first = await limiter.hit("k", 1, 0.3)
    assert not first.allowed and first.notify
    for _ in range(5):
        assert not (await limiter.hit("k", 1, 0.3)).notify
    await asyncio.sleep(first.retry_after + 0.05)
    assert (await limiter.hit("k", 1, 0.3)).allowed
    again = await limiter.hit("k", 1, 0.3)
    assert not again.allowed and again.notify  # a new block: a new notice


@BACKENDS
async def test_window_slides(limiter: RateLimiter) -> None:
    window = 0.4
    assert (await limiter.hit("k", 2, window)).allowed
    await asyncio.sleep(0.2)
    assert (await limiter.hit("k", 2, window)).allowed
    blocked = await limiter.hit("k", 2, window)
    assert not blocked.allowed
    assert 0.1 < blocked.retry_after <= 0.2 + 0.05  # until the FIRST call leaves the window
    await asyncio.sleep(blocked.retry_after + 0.05)
    # the first call left the window, the second has not: exactly one more is allowed
    assert (await limiter.hit("k", 2, window)).allowed
    assert not (await limiter.hit("k", 2, window)).allowed


@BACKENDS
async def test_blocked_calls_do_not_consume(limiter: RateLimiter) -> None:
    assert (await limiter.hit("k", 1, 0.2)).allowed
    for _ in range(10):
        assert not (await limiter.hit("k", 1, 0.2)).allowed
    await asyncio.sleep(0.25)
    assert (await limiter.hit("k", 1, 0.2)).allowed


@BACKENDS
async def test_zero_limit_always_blocks(limiter: RateLimiter) -> None:
    decision = await limiter.hit("k", 0, 5)
    assert not decision.allowed and decision.notify
    assert 4.9 < decision.retry_after <= 5


@BACKENDS
async def test_cooldown(limiter: RateLimiter) -> None:
    before = rejections("cooldown")
    assert await limiter.cooldown("cmd:!so", 0.3) == Decision(True, 0, 0.0, False)
    blocked = await limiter.cooldown("cmd:!so", 0.3)
    assert not blocked.allowed and blocked.notify and blocked.remaining == 0
    assert 0 < blocked.retry_after <= 0.3
    later = await limiter.cooldown("cmd:!so", 0.3)
    assert not later.allowed and not later.notify
    assert later.retry_after <= blocked.retry_after
    assert (await limiter.cooldown("cmd:!other", 0.3)).allowed
    await asyncio.sleep(blocked.retry_after + 0.05)
    assert (await limiter.cooldown("cmd:!so", 0.3)).allowed
    assert (await limiter.cooldown("cmd:!so", 0.3)).notify  # new cooldown, new notice
    assert rejections("cooldown") - before == 3


@BACKENDS
async def test_cooldown_concurrent_allows_one(limiter: RateLimiter) -> None:
    decisions = await asyncio.gather(*(limiter.cooldown("k", 30) for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 1
    assert sum(d.notify for d in decisions) == 1


@BACKENDS
async def test_token_bucket_refill_and_capacity(limiter: RateLimiter) -> None:
    rate, capacity = 10.0, 3
    drained = [await limiter.take("b", rate, capacity) for _ in range(3)]
    assert [d.allowed for d in drained] == [True, True, True]
    assert [d.remaining for d in drained] == [2, 1, 0]
    empty = await limiter.take("b", rate, capacity)
    assert not empty.allowed and empty.notify
    assert 0 < empty.retry_after <= 0.1 + 0.01
    await asyncio.sleep(0.15)  # 1.5 tokens back
    assert (await limiter.take("b", rate, capacity)).allowed
    blocked = await limiter.take("b", rate, capacity)
    assert not blocked.allowed and blocked.notify  # a new block after an allowed call
    assert not (await limiter.take("b", rate, capacity)).notify
    await asyncio.sleep(0.6)  # 6 tokens' worth, but the bucket holds 3
    results = [await limiter.take("b", rate, capacity) for _ in range(5)]
    assert [d.allowed for d in results] == [True, True, True, False, False]


@BACKENDS
async def test_token_bucket_concurrent_and_multi_token(limiter: RateLimiter) -> None:
    decisions = await asyncio.gather(*(limiter.take("b", 0.01, 20) for _ in range(100)))
    assert sum(d.allowed for d in decisions) == 20
    assert sum(d.notify for d in decisions) == 1
    big = await limiter.take("c", 1.0, 5, tokens=4)
    assert big.allowed and big.remaining == 1
    refused = await limiter.take("c", 1.0, 5, tokens=2)
    assert not refused.allowed and 0.9 < refused.retry_after <= 1.0
    assert (await limiter.take("c", 1.0, 5, tokens=1)).allowed  # the refusal took nothing


@BACKENDS
async def test_hit_many_matches_individual_hits(limiter: RateLimiter) -> None:
    pattern = [("a", 2, 60.0), ("b", 1, 60.0), ("a", 2, 60.0), ("a", 2, 60.0), ("b", 1, 60.0)]
    batched = await limiter.hit_many([(f"batch:{k}", n, w) for k, n, w in pattern])
    single = [await limiter.hit(f"single:{k}", n, w) for k, n, w in pattern]
    shape = [(d.allowed, d.remaining, d.notify) for d in batched]
    assert shape == [(d.allowed, d.remaining, d.notify) for d in single]
    assert shape == [(True, 1, False), (True, 0, False), (True, 0, False), (False, 0, True),
                     (False, 0, True)]  # fmt: skip
    # and the batch shares state with hit()
    assert not (await limiter.hit("batch:a", 2, 60)).allowed
    assert await limiter.hit_many([]) == []


async def test_hit_many_reloads_a_missing_script(redis_client: Redis, key_prefix: str) -> None:
    limiter = RateLimiter(redis_client, prefix=key_prefix)
    limiter._window.sha = "0" * 40  # as after SCRIPT FLUSH or a Redis restart
    decisions = await limiter.hit_many([("x", 1, 60), ("x", 1, 60)])
    assert [d.allowed for d in decisions] == [True, False]
    assert limiter._window.sha != "0" * 40


async def test_redis_keys_layout_and_expiry(redis_client: Redis, key_prefix: str) -> None:
    limiter = RateLimiter(redis_client, prefix=key_prefix)
    await limiter.hit("w", 1, 10)
    await limiter.hit("w", 1, 10)
    await limiter.cooldown("c", 10)
    await limiter.take("t", 1.0, 10)
    keys = sorted([k.decode() async for k in redis_client.scan_iter(match=key_prefix + "*")])
    assert keys == sorted(
        [
            f"{key_prefix}rl:win:w",
            f"{key_prefix}rl:notify:win:w",
            f"{key_prefix}rl:cd:c",
            f"{key_prefix}rl:tb:t",
        ]
    )
    for key in keys:  # nothing is left behind forever
        assert 0 < await redis_client.pttl(key) <= 10_000


@pytest.mark.parametrize(
    "call",
    [
        lambda lim: lim.hit("k", 1, 1),
        lambda lim: lim.cooldown("k", 1),
        lambda lim: lim.take("k", 1.0, 1),
        lambda lim: lim.hit_many([("k", 1, 1)]),
    ],
    ids=["hit", "cooldown", "take", "hit_many"],
)
async def test_fails_closed_when_redis_is_unreachable(call, key_prefix: str) -> None:
    client = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2)
    limiter = RateLimiter(client, prefix=key_prefix)
    try:
        with pytest.raises(DependencyUnavailable) as info:
            await call(limiter)
        assert info.value.status == 503
        assert info.value.message == "rate limiter unavailable"
    finally:
        await client.aclose()


@BACKENDS
async def test_invalid_arguments(limiter: RateLimiter) -> None:
    with pytest.raises(ValueError):
        await limiter.hit("k", 1, 0)
    with pytest.raises(ValueError):
        await limiter.hit("k", -1, 1)
    with pytest.raises(ValueError):
        await limiter.cooldown("k", 0)
    with pytest.raises(ValueError):
        await limiter.take("k", 0, 1)
    with pytest.raises(ValueError):
        await limiter.take("k", 1.0, 2, tokens=3)


def test_parse_rate_is_reexported() -> None:
    assert parse_rate("20/30s") == (20, 30.0)
    assert parse_rate("100/1m") == (100, 60.0)
