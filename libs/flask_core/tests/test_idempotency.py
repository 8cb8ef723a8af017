from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis

from flask_core.errors import DependencyUnavailable
from flask_core.idempotency import Claims, ClaimState


@pytest.fixture(params=["memory", "redis"], ids=["memory", "redis"])
def claims(request: pytest.FixtureRequest, key_prefix: str) -> Claims:
    redis = request.getfixturevalue("redis_client") if request.param == "redis" else None
    return Claims(redis, prefix=key_prefix, namespace="t")


async def test_claim_then_done_then_duplicate(claims: Claims) -> None:
    assert await claims.claim("e1") is ClaimState.CLAIMED
    assert await claims.claim("e1") is ClaimState.IN_FLIGHT
    await claims.done("e1")
    assert await claims.claim("e1") is ClaimState.DONE


async def test_release_lets_a_retry_claim_again(claims: Claims) -> None:
    assert await claims.claim("e2") is ClaimState.CLAIMED
    await claims.release("e2")
    assert await claims.claim("e2") is ClaimState.CLAIMED


async def test_a_claim_expires_when_its_owner_dies(claims: Claims) -> None:
    assert await claims.claim("e3", ttl=0.2) is ClaimState.CLAIMED
    await asyncio.sleep(0.35)
    assert await claims.claim("e3") is ClaimState.CLAIMED


async def test_only_one_of_many_concurrent_claims_wins(claims: Claims) -> None:
    states = await asyncio.gather(*(claims.claim("e4") for _ in range(50)))
    assert states.count(ClaimState.CLAIMED) == 1


async def test_claim_many_in_one_batch_sees_repeats_inside_it(claims: Claims) -> None:
    await claims.done_many(["old"])
    states = await claims.claim_many(["a", "b", "a", "old"])
    assert states == [ClaimState.CLAIMED, ClaimState.CLAIMED, ClaimState.IN_FLIGHT, ClaimState.DONE]


async def test_redis_down_is_a_dependency_error(key_prefix: str) -> None:
    dead: Any = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    claims = Claims(dead, prefix=key_prefix)
    with pytest.raises(DependencyUnavailable):
        await claims.claim("x")
    with pytest.raises(DependencyUnavailable):
        await claims.done("x")
    await dead.aclose()
