"""Cache: JSON round trips, TTLs, single-flight get_or_set, local layer, invalidation."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from flask_core.cache import Cache
from flask_core.metrics import REGISTRY

BACKENDS = pytest.mark.parametrize("backend", ["memory", "redis"], indirect=True, ids=str)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Redis | None:
    """None for the in-process backend, the real Redis client otherwise."""
    if request.param == "memory":
        return None
    return request.getfixturevalue("redis_client")


@pytest_asyncio.fixture
async def cache(backend: Redis | None, key_prefix: str) -> AsyncIterator[Cache]:
    instance = Cache(backend, prefix=key_prefix, namespace="t")
    await instance.start()
    try:
        yield instance
    finally:
        await instance.close()


def counting(value: Any, delay: float = 0.0) -> tuple[list[int], Callable[[], Awaitable[Any]]]:
    calls: list[int] = []

    async def factory() -> Any:
        calls.append(1)
        if delay:
            await asyncio.sleep(delay)
        return value

    return calls, factory


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 2.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.02)
    return False


VALUES = [
    {"a": 1, "nested": {"list": [1, 2.5, "x", None, True]}},
    [1, "two", {"three": 3}],
    "héllo ✓",
    42,
    3.25,
    False,
]


@BACKENDS
@pytest.mark.parametrize("value", VALUES, ids=["dict", "list", "str", "int", "float", "bool"])
async def test_round_trip(cache: Cache, value: Any) -> None:
    assert await cache.get("k") is None
    await cache.set("k", value)
    assert await cache.get("k") == value
    await cache.delete("k")
    assert await cache.get("k") is None


async def test_redis_keys_are_namespaced_json(redis_client: Redis, key_prefix: str) -> None:
    cache = Cache(redis_client, prefix=key_prefix, namespace="users")
    await cache.set("42", {"name": "pingu"}, ttl=30)
    raw = await redis_client.get(f"{key_prefix}users:42")
    assert json.loads(raw) == {"name": "pingu"}
    assert 0 < await redis_client.pttl(f"{key_prefix}users:42") <= 30_000


@BACKENDS
async def test_ttl_expiry(cache: Cache) -> None:
    await cache.set("short", "v", ttl=0.2)
    await cache.set("forever", "v")
    assert await cache.get("short") == "v"
    await asyncio.sleep(0.35)
    assert await cache.get("short") is None
    assert await cache.get("forever") == "v"


@BACKENDS
async def test_invalid_ttl_rejected(cache: Cache) -> None:
    with pytest.raises(ValueError):
        await cache.set("k", 1, ttl=0)


@BACKENDS
async def test_get_or_set_calls_factory_once_then_hits(cache: Cache) -> None:
    calls, factory = counting({"n": 1})
    assert await cache.get_or_set("k", factory, ttl=10) == {"n": 1}
    assert await cache.get_or_set("k", factory, ttl=10) == {"n": 1}
    assert await cache.get("k") == {"n": 1}
    assert len(calls) == 1


@BACKENDS
async def test_get_or_set_caches_none(cache: Cache) -> None:
    calls, factory = counting(None)
    assert await cache.get_or_set("k", factory) is None
    assert await cache.get_or_set("k", factory) is None
    assert len(calls) == 1


@BACKENDS
async def test_get_or_set_refreshes_after_ttl(cache: Cache) -> None:
    calls, factory = counting("v")
    await cache.get_or_set("k", factory, ttl=0.2)
    await asyncio.sleep(0.35)
    await cache.get_or_set("k", factory, ttl=0.2)
    assert len(calls) == 2


@BACKENDS
async def test_single_flight_under_concurrency(cache: Cache) -> None:
    calls, factory = counting([1, 2, 3], delay=0.05)
    results = await asyncio.gather(*(cache.get_or_set("k", factory, ttl=10) for _ in range(20)))
    assert results == [[1, 2, 3]] * 20
    assert len(calls) == 1
    # other keys are not serialised behind it
    other_calls, other = counting("x", delay=0.05)
    await asyncio.gather(*(cache.get_or_set(f"k{i}", other) for i in range(5)))
    assert len(other_calls) == 5


@BACKENDS
async def test_factory_error_reaches_every_waiter_and_is_not_cached(cache: Cache) -> None:
    attempts: list[int] = []

    async def failing() -> Any:
        attempts.append(1)
        await asyncio.sleep(0.05)
        raise RuntimeError("boom")

    results = await asyncio.gather(
        *(cache.get_or_set("k", failing) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert len(attempts) == 1
    _, factory = counting("ok")
    assert await cache.get_or_set("k", factory) == "ok"


@BACKENDS
async def test_cancelled_leader_does_not_fail_waiters(cache: Cache) -> None:
    calls, factory = counting("v", delay=0.1)
    leader = asyncio.create_task(cache.get_or_set("k", factory))
    await asyncio.sleep(0.02)
    waiters = [asyncio.create_task(cache.get_or_set("k", factory)) for _ in range(3)]
    await asyncio.sleep(0.02)
    leader.cancel()
    assert await asyncio.gather(*waiters) == ["v"] * 3
    assert len(calls) == 2  # the cancelled load, then one waiter took over
    with pytest.raises(asyncio.CancelledError):
        await leader


@pytest_asyncio.fixture
async def two_instances(
    redis_client: Redis, redis_url: str, key_prefix: str
) -> AsyncIterator[tuple[Cache, Cache]]:
    """Two started instances on one Redis, each with its own client: two replicas."""
    first = Cache(redis_client, prefix=key_prefix, namespace="t")
    other_client = Redis.from_url(redis_url)
    second = Cache(other_client, prefix=key_prefix, namespace="t")
    await first.start()
    await second.start()
    try:
        yield first, second
    finally:
        await second.close()
        await first.close()
        await other_client.aclose()


async def test_local_layer_and_invalidation_from_another_instance(
    redis_client: Redis, key_prefix: str, two_instances: tuple[Cache, Cache]
) -> None:
    first, second = two_instances
    assert first.listening and second.listening
    calls, factory = counting({"v": 1})
    assert await first.get_or_set("k", factory, ttl=30, local=True) == {"v": 1}
    # Redis changes behind the cache's back: the fresh local copy is still served.
    await redis_client.set(f"{key_prefix}t:k", json.dumps({"v": 2}))
    assert await first.get_or_set("k", factory, ttl=30, local=True) == {"v": 1}
    assert first.local_get("k") == {"v": 1}
    assert len(calls) == 1

    await second.invalidate("k")
    assert await redis_client.exists(f"{key_prefix}t:k") == 0

    async def dropped() -> bool:
        return first.local_get("k") is None

    assert await eventually(dropped)
    calls2, factory2 = counting({"v": 3})
    assert await first.get_or_set("k", factory2, ttl=30, local=True) == {"v": 3}
    assert len(calls2) == 1


async def test_local_layer_expires(redis_client: Redis, key_prefix: str) -> None:
    cache = Cache(redis_client, prefix=key_prefix, namespace="exp")
    await cache.start()
    try:
        _, factory = counting("old")
        await cache.get_or_set("k", factory, ttl=0.2, local=True)
        assert cache.local_get("k") == "old"
        await asyncio.sleep(0.3)
        assert cache.local_get("k") is None
    finally:
        await cache.close()


async def test_listener_reconnect_drops_local_copies(redis_client: Redis, key_prefix: str) -> None:
    """Invalidations sent while the listener was disconnected are lost: so is the layer."""
    before = {c["id"] for c in await redis_client.client_list(_type="pubsub")}
    cache = Cache(redis_client, prefix=key_prefix, namespace="t")
    await cache.start()
    try:
        ours = {c["id"] for c in await redis_client.client_list(_type="pubsub")} - before
        assert ours
        _, factory = counting("v1")
        await cache.get_or_set("k", factory, ttl=30, local=True)
        await redis_client.set(f"{key_prefix}t:k", json.dumps("v2"))
        for client_id in ours:
            await redis_client.client_kill_filter(_id=client_id)

        async def reread() -> bool:
            return await cache.get_or_set("k", factory, ttl=30, local=True) == "v2"

        assert await eventually(reread, within=5)
        assert await eventually(lambda: asyncio.sleep(0, result=cache.listening), within=5)
    finally:
        await cache.close()


async def test_local_layer_needs_the_listener(redis_client: Redis, key_prefix: str) -> None:
    """Without start() there is no invalidation, so nothing is kept locally."""
    cache = Cache(redis_client, prefix=key_prefix, namespace="t")
    _, factory = counting("v")
    await cache.get_or_set("k", factory, local=True)
    assert cache.local_get("k") is None
    await cache.close()


async def test_memory_backend_without_redis() -> None:
    cache = Cache(None, namespace="mem")
    await cache.start()
    try:
        calls, factory = counting({"x": 1})
        assert await cache.get_or_set("k", factory, ttl=10, local=True) == {"x": 1}
        assert await cache.get_or_set("k", factory, ttl=10, local=True) == {"x": 1}
        assert len(calls) == 1
        await cache.invalidate("k")
        assert await cache.get("k") is None
        cache.local_set("l", [1], ttl=10)
        assert cache.local_get("l") == [1]
        await cache.invalidate("l")
        assert cache.local_get("l") is None
    finally:
        await cache.close()


async def test_returned_values_are_copies() -> None:
    cache = Cache(None)
    await cache.set("k", {"list": [1]})
    value = await cache.get("k")
    value["list"].append(2)
    assert await cache.get("k") == {"list": [1]}


@BACKENDS
async def test_shared_reads_decode_once_per_write(cache: Cache, backend: Redis | None) -> None:
    """`shared=True`: the same decoded object until the key is written or invalidated."""
    calls, factory = counting({"modules": ["memories"]})
    await cache.get_or_set("cfg", factory, ttl=30, local=True, shared=True)  # the miss: stored
    first = await cache.get_or_set("cfg", factory, ttl=30, local=True, shared=True)
    again = await cache.get_or_set("cfg", factory, ttl=30, local=True, shared=True)
    assert first == {"modules": ["memories"]} and again is first
    assert len(calls) == 1
    await cache.invalidate("cfg")  # the owner changed it
    _, changed = counting({"modules": []})
    fresh = await cache.get_or_set("cfg", changed, ttl=30, local=True, shared=True)
    assert fresh == {"modules": []}
    assert await cache.get_or_set("cfg", changed, ttl=30, local=True, shared=True) is not first
    plain = await cache.get_or_set("cfg", changed, ttl=30, local=True)  # not shared: a copy
    assert plain == fresh and plain is not await cache.get_or_set("cfg", changed, ttl=30, local=True)


@BACKENDS
async def test_get_many_and_set_many(cache: Cache) -> None:
    assert await cache.get_many([]) == []
    await cache.set("a", {"n": 1}, ttl=30)
    await cache.set_many({"b": [2], "c": "three"}, ttl=30)
    assert await cache.get_many(["a", "missing", "b", "c"]) == [{"n": 1}, None, [2], "three"]
    await cache.set_many({"short": 1}, ttl=0.1)
    await asyncio.sleep(0.25)
    assert await cache.get_many(["short", "a"]) == [None, {"n": 1}]
    with pytest.raises(ValueError):
        await cache.set_many({"x": 1}, ttl=0)


async def test_unreachable_redis_is_a_miss_not_an_error(key_prefix: str) -> None:
    client = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2)
    cache = Cache(client, prefix=key_prefix)
    try:
        await cache.start()  # logs, retries in the background
        assert not cache.listening
        assert await cache.get("k") is None
        await cache.set("k", 1, ttl=5)
        await cache.delete("k")
        await cache.invalidate("k")
        calls, factory = counting("computed")
        assert await cache.get_or_set("k", factory, local=True) == "computed"
        assert await cache.get_or_set("k", factory, local=True) == "computed"
        assert len(calls) == 2
    finally:
        await cache.close()
        await client.aclose()


async def test_close_is_idempotent(redis_client: Redis, key_prefix: str) -> None:
    cache = Cache(redis_client, prefix=key_prefix)
    await cache.close()
    await cache.start()
    await cache.start()
    await cache.close()
    await cache.close()
    assert not cache.listening


@BACKENDS
async def test_hits_and_misses_are_counted(backend: Redis | None, key_prefix: str) -> None:
    namespace = f"metrics{key_prefix.replace(':', '')}"
    cache = Cache(backend, prefix=key_prefix, namespace=namespace)

    def sample(result: str) -> float:
        labels = {"service": "core", "namespace": namespace, "result": result}
        return REGISTRY.get_sample_value("waddlebot_cache_requests_total", labels) or 0.0

    await cache.get("missing")
    _, factory = counting(1)
    await cache.get_or_set("k", factory)
    await cache.get_or_set("k", factory)
    await cache.get("k")
    assert sample("miss") == 2
    assert sample("hit") == 2


def gated(value: Any) -> tuple[asyncio.Event, asyncio.Event, Callable[[], Awaitable[Any]]]:
    """A factory that has read its source (`read` set) and waits for `release` to return."""
    read, release = asyncio.Event(), asyncio.Event()

    async def factory() -> Any:
        read.set()
        await release.wait()
        return value

    return read, release, factory


@BACKENDS
@pytest.mark.parametrize("write", ["invalidate", "set", "delete"])
async def test_a_load_overtaken_by_a_write_is_not_stored(cache: Cache, write: str) -> None:
    """The load read its source before the write: its value may be the old one, so the
    callers who asked before get it, and the next reader loads again."""
    read, release, factory = gated("old")
    loading = asyncio.create_task(cache.get_or_set("k", factory, ttl=30, local=True, shared=True))
    await read.wait()
    if write == "set":
        await cache.set("k", "new", ttl=30)
    else:
        await getattr(cache, write)("k")
    release.set()
    assert await loading == "old"
    _, fresh = counting("fresh")
    expected = "new" if write == "set" else "fresh"
    assert await cache.get_or_set("k", fresh, ttl=30, local=True, shared=True) == expected
    assert await cache.get("k") == expected


async def test_another_instances_invalidation_during_a_load_wins(
    redis_client: Redis, key_prefix: str, two_instances: tuple[Cache, Cache]
) -> None:
    first, second = two_instances
    read, release, factory = gated("old")
    loading = asyncio.create_task(first.get_or_set("k", factory, ttl=30, local=True))
    await read.wait()
    await second.invalidate("k")  # its write committed after first read the source
    await asyncio.sleep(0.2)  # the message reaches first while it is still loading
    release.set()
    assert await loading == "old"

    async def gone() -> bool:
        return await redis_client.exists(f"{key_prefix}t:k") == 0 and first.local_get("k") is None

    assert await eventually(gone)


async def test_a_stale_copy_stored_before_the_invalidation_arrived_is_deleted_again(
    redis_client: Redis, key_prefix: str
) -> None:
    """The other instance deleted the key, this load stored its older value after that,
    and only then did the invalidation message arrive: the copy is deleted again."""
    cache = Cache(redis_client, prefix=key_prefix, namespace="t")
    await cache.start()
    try:
        read, release, factory = gated("old")
        loading = asyncio.create_task(cache.get_or_set("k", factory, ttl=30, local=True))
        await read.wait()
        await redis_client.delete(f"{key_prefix}t:k")  # the other instance's DEL …
        release.set()
        assert await loading == "old"
        assert await redis_client.get(f"{key_prefix}t:k") == b'"old"'  # stored after it
        await redis_client.publish(cache.channel, json.dumps(["k"]))  # … its message, late

        async def gone() -> bool:
            return await redis_client.exists(f"{key_prefix}t:k") == 0 and cache.local_get("k") is None

        assert await eventually(gone)
        _, fresh = counting("fresh")
        assert await cache.get_or_set("k", fresh, ttl=30, local=True) == "fresh"
        await redis_client.publish(cache.channel, json.dumps(["unrelated"]))
        await asyncio.sleep(0.1)
        assert await redis_client.get(f"{key_prefix}t:k") == b'"fresh"'  # only its own key goes
    finally:
        await cache.close()


async def test_the_local_layer_is_bounded_oldest_first(redis_client: Redis, key_prefix: str) -> None:
    cache = Cache(redis_client, prefix=key_prefix, namespace="t", max_local_chars=100)
    await cache.start()
    try:
        for n in range(10):  # each value is 22 characters of JSON
            _, factory = counting("x" * 20)
            await cache.get_or_set(f"k{n}", factory, ttl=30, local=True)
        held = [n for n in range(10) if cache.local_get(f"k{n}") is not None]
        assert held == [6, 7, 8, 9]  # 4 × 22 = 88 ≤ 100; the older ones were dropped
        calls, factory = counting("reloaded")
        assert await cache.get_or_set("k0", factory, ttl=30, local=True) == "x" * 20  # from Redis
        assert not calls
        big = "y" * 200
        _, factory = counting(big)
        assert await cache.get_or_set("big", factory, ttl=30, local=True) == big
        assert cache.local_get("big") is None  # larger than the bound: never held
        held = [n for n in range(10) if cache.local_get(f"k{n}") is not None]
        assert held == [0, 7, 8, 9]  # k0 came back (from Redis) and pushed k6 out
    finally:
        await cache.close()
