"""The circuit breaker's state machine, on a fake clock."""

from __future__ import annotations

import pytest

from flask_core.breaker import BreakerState, CircuitBreaker
from flask_core.metrics import REGISTRY


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def state(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state  # a call, so mypy does not narrow across assertions


def _gauge(target: str) -> float | None:
    return REGISTRY.get_sample_value("waddlebot_circuit_state", {"service": "unit", "target": target})


def test_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker("t-consecutive", failure_threshold=3, service="unit", clock=Clock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # resets the streak
    breaker.record_failure()
    breaker.record_failure()
    assert state(breaker) is BreakerState.CLOSED and breaker.allow()
    breaker.record_failure()
    assert state(breaker) is BreakerState.OPEN
    assert not breaker.allow()
    assert _gauge("t-consecutive") == 1


def test_half_open_single_trial_then_close() -> None:
    clock = Clock()
    breaker = CircuitBreaker("t-close", failure_threshold=1, reset_timeout=10, service="unit", clock=clock)
    breaker.record_failure()
    assert not breaker.allow()
    assert breaker.retry_in() == pytest.approx(10)
    clock.now += 10
    assert breaker.allow()  # the trial
    assert state(breaker) is BreakerState.HALF_OPEN
    assert _gauge("t-close") == 2
    assert not breaker.allow()  # only one at a time
    breaker.record_success()
    assert state(breaker) is BreakerState.CLOSED
    assert _gauge("t-close") == 0
    assert breaker.allow() and breaker.allow()


def test_half_open_failure_reopens_and_release_frees_the_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker("t-reopen", failure_threshold=2, reset_timeout=5, service="unit", clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.record_failure()  # one failure in half-open is enough
    assert state(breaker) is BreakerState.OPEN
    assert not breaker.allow()
    clock.now += 5
    assert breaker.allow()
    breaker.release()  # the trial was cancelled: another may try
    assert state(breaker) is BreakerState.HALF_OPEN
    assert breaker.allow()


def test_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker("bad", failure_threshold=0)
