"""A circuit breaker per downstream, used by `flask_core.http`.

closed → opens after `failure_threshold` consecutive failures (exceptions or 5xx)
→ while open, calls fail fast → after `reset_timeout` seconds the next call is the one
half-open trial (others still fail fast) → its success closes, its failure re-opens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum

from flask_core.logging import get_logger
from flask_core.metrics import gauge

log = get_logger(__name__)
CIRCUIT_STATE = gauge(
    "waddlebot_circuit_state", "Circuit state per downstream: 0 closed, 1 open, 2 half-open",
    ("target",),
)  # fmt: skip


class BreakerState(IntEnum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class CircuitBreaker:
    """Consecutive-failure breaker with a single half-open trial. Not thread-safe (asyncio)."""

    __slots__ = (
        "_clock", "_failures", "_opened_at", "_state", "_trial_running", "failure_threshold",
        "reset_timeout", "service", "target",
    )  # fmt: skip

    def __init__(
        self,
        target: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 10.0,
        service: str = "waddlebot",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_timeout < 0:
            raise ValueError("failure_threshold must be ≥ 1 and reset_timeout ≥ 0")
        self.target = target
        self.service = service
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False
        CIRCUIT_STATE.labels(service, target).set(BreakerState.CLOSED)

    @property
    def state(self) -> BreakerState:
        return self._state

    @property
    def failures(self) -> int:
        return self._failures

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a trial through (0 when not open)."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.reset_timeout - self._clock())

    def allow(self) -> bool:
        """May a call go out now? A True in half-open reserves the single trial."""
        match self._state:
            case BreakerState.CLOSED:
                return True
            case BreakerState.OPEN:
                if self._clock() - self._opened_at < self.reset_timeout:
                    return False
                self._move(BreakerState.HALF_OPEN)
                self._trial_running = True
                return True
            case BreakerState.HALF_OPEN:
                if self._trial_running:
                    return False
                self._trial_running = True
                return True
        return False  # pragma: no cover - exhaustive

    def record_success(self) -> None:
        self._failures = 0
        self._trial_running = False
        if self._state is not BreakerState.CLOSED:
            self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        self._failures += 1
        self._trial_running = False
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold
        ):
            self._opened_at = self._clock()
            self._move(BreakerState.OPEN)

    def release(self) -> None:
        """A call that went out was abandoned (cancelled) without a verdict."""
        self._trial_running = False

    def _move(self, new: BreakerState) -> None:
        old, self._state = self._state, new
        CIRCUIT_STATE.labels(self.service, self.target).set(new)
        match new:
            case BreakerState.OPEN:
                log.warning(
                    "http.breaker_opened",
                    target=self.target,
                    from_state=old.name.lower(),
                    failures=self._failures,
                    reset_timeout=self.reset_timeout,
                )
            case BreakerState.HALF_OPEN:
                log.info("http.breaker_half_open", target=self.target)
            case BreakerState.CLOSED:
                log.info("http.breaker_closed", target=self.target, from_state=old.name.lower())
