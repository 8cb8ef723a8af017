"""In-process stores sweep their expired entries at an amortized O(1) cost per write."""

from __future__ import annotations

import pytest

from flask_core.idempotency import Claims, ClaimState
from flask_core.sweep import SweepSchedule


def test_the_next_sweep_waits_for_the_store_to_double() -> None:
    schedule = SweepSchedule(floor=10)
    assert not schedule.due(10) and schedule.due(11)
    schedule.swept(8)  # most were live: the next sweep at 16, not at 11 again
    assert not schedule.due(16) and schedule.due(17)
    schedule.swept(2)  # most had expired: back to the floor
    assert not schedule.due(10) and schedule.due(11)
    with pytest.raises(ValueError):
        SweepSchedule(0)


def test_writes_into_an_always_live_store_sweep_a_logarithmic_number_of_times() -> None:
    schedule, sweeps = SweepSchedule(floor=100), 0
    for size in range(1, 100_001):  # one more live entry per write: nothing ever expires
        if schedule.due(size):
            sweeps += 1
            schedule.swept(size)
    assert sweeps <= 10  # 100 → 200 → … → 102,400: one sweep per doubling


async def test_claims_past_the_floor_do_not_copy_the_store_on_every_claim() -> None:
    """A busy day: more live claims than the floor. Each claim used to rebuild the dict."""
    claims = Claims(None)
    await claims.claim_many([f"e{n}" for n in range(100_001)], ttl=3600)
    first = claims._memory
    await claims.claim("e-next", ttl=3600)  # the first past the floor sweeps, once
    swept = claims._memory
    assert swept is not first
    for n in range(1_000):
        assert await claims.claim(f"more{n}", ttl=3600) is ClaimState.CLAIMED
    assert claims._memory is swept  # no copy since
    assert await claims.claim("e5", ttl=3600) is ClaimState.IN_FLIGHT  # every claim kept
