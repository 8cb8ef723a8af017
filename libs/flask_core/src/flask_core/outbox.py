"""The collectors' durable outbox: an event is stored before its webhook is acknowledged.

With Redis it is the stream `{prefix}outbox:{platform}` read through the consumer group
`outbox` (XADD, XREADGROUP, XACK + XDEL; XAUTOCLAIM takes over entries a dead worker
held longer than `outbox_lease`). A retry waits in the sorted set `…:delayed` and goes
back into the stream when due; dead letters go to the capped stream `…:dead`. Without
Redis it is the `outbox` table (`define_tables`; rows claimed with a lease). The two
live in `outbox_stream` and `outbox_table`; use them through `open_outbox`.
Production Redis needs AOF (`appendonly yes`) for the stream to survive a restart.

`OutboxWorker` drains it to the router (`router_sender`): 2xx → done; 4xx other than
408/429 → dead letter at once; 5xx, 408, 429, timeouts and DependencyUnavailable →
retry with capped exponential backoff and jitter for at most `outbox_max_age` (12 h),
then dead letter. Delivery is at-least-once; the router answers a copy as `duplicate`.

API (Slack and Discord use it as Twitch does):
    OutboxSettings             OUTBOX_* settings; a collector's settings subclass it
    define_tables(db)          the `outbox` table; pass it in `create_app(models=[...])`
    open_outbox(res, platform) -> Outbox: `put(payload)`, `pending()`, `dead_letters()`
    OutboxWorker(outbox, send=None)  `start()` in the app's lifespan, `await stop()` at
                               shutdown; `send` defaults to `router_sender(res, platform)`
    Sender = async (payload) -> Verdict, Verdict = ("ok" | "retry" | "dead", detail)
    router_sender(res, platform, timeout, on_answer=None): `await on_answer(payload, answer)`
                               sees the router's parsed 2xx answer (not `failed`) before "ok";
                               if it raises, the entry is retried (at-least-once)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Final, Literal

from pydal import Field

from .database import ensure_index
from .errors import DependencyUnavailable
from .logging import get_logger
from .metrics import counter
from .resources import Resources
from .settings import CoreSettings

log = get_logger(__name__)
ENTRIES = counter(
    "waddlebot_outbox_entries_total",
    "Outbox entries by outcome (stored, delivered, retried, dead_lettered)",
    ("outcome",),
)
WORKER_ERRORS = counter("waddlebot_outbox_worker_errors_total", "Outbox worker loop failures")

Verdict = tuple[Literal["ok", "retry", "dead"], str]
Sender = Callable[[dict[str, Any]], Awaitable[Verdict]]
#: `on_answer(payload, answer)`: the router accepted `payload` and answered `answer`.
AnswerHook = Callable[[dict[str, Any], dict[str, Any]], Awaitable[None]]


@dataclass(slots=True, frozen=True)
class OutboxPolicy:
    """How the worker polls, waits and gives up; each field has its OUTBOX_* setting."""

    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    max_age: float = 12 * 3600.0
    poll_interval: float = 1.0
    batch_size: int = 16
    lease: float = 60.0
    timeout: float = 5.0

    @classmethod
    def from_settings(cls, settings: CoreSettings) -> OutboxPolicy:
        """Each field from its OUTBOX_* setting (the defaults without OutboxSettings)."""
        if not isinstance(settings, OutboxSettings):
            return cls()
        return cls(**{f.name: getattr(settings, f"outbox_{f.name}") for f in fields(cls)})

    def backoff(self, attempts: int) -> float:
        """Capped exponential delay with jitter (half fixed, half random)."""
        delay: float = min(self.backoff_cap, self.backoff_base * 2.0 ** max(0, attempts - 1))
        return delay / 2 + random.uniform(0, delay / 2)


_DEFAULTS: Final = OutboxPolicy()


class OutboxSettings(CoreSettings):
    """Outbox settings shared by every collector (scaled down in tests): OutboxPolicy's."""

    outbox_backoff_base: float = _DEFAULTS.backoff_base
    outbox_backoff_cap: float = _DEFAULTS.backoff_cap
    outbox_max_age: float = _DEFAULTS.max_age
    outbox_poll_interval: float = _DEFAULTS.poll_interval
    outbox_batch_size: int = _DEFAULTS.batch_size
    outbox_lease: float = _DEFAULTS.lease
    outbox_timeout: float = _DEFAULTS.timeout


@dataclass(slots=True)
class OutboxEntry:
    id: str
    payload: dict[str, Any]
    attempts: int
    created_at: float  # epoch seconds
    last_error: str | None = None


def define_tables(db: Any) -> None:
    """The `outbox` table (used when there is no Redis)."""
    db.define_table(
        "outbox",
        Field("platform", "string", length=16, notnull=True),
        Field("event_id", "string", length=200),
        Field("status", "string", length=16, notnull=True, default="pending"),
        Field("attempts", "integer", default=0),
        Field("next_attempt_at", "double", notnull=True),  # epoch seconds; also the lease
        Field("payload", "json"),
        Field("last_error", "text"),
        Field("created_at", "datetime"),
    )
    ensure_index(db, "outbox", "outbox_due", ("platform", "status", "next_attempt_at"))


class Outbox(ABC):
    """One platform's outbox; `open_outbox` picks the Redis stream or the table."""

    def __init__(self, res: Resources, platform: str, policy: OutboxPolicy) -> None:
        self.res = res
        self.platform = platform
        self.policy = policy

    async def put(self, payload: Mapping[str, Any]) -> str:
        """Store one event durably; DependencyUnavailable (→ 503) when that is impossible."""
        try:
            entry_id = await self._put(dict(payload))
        except DependencyUnavailable:
            raise
        except Exception as exc:
            log.exception("outbox.store_failed", platform=self.platform, event_id=payload.get("event_id"))
            raise DependencyUnavailable("outbox unavailable", details={"platform": self.platform}) from exc
        ENTRIES.labels(self.platform, "stored").inc()
        return entry_id

    @abstractmethod
    async def _put(self, payload: dict[str, Any]) -> str: ...

    @abstractmethod
    async def claim(self, limit: int, wait: float) -> list[OutboxEntry]:
        """Up to `limit` due entries, now held by this worker; waits up to `wait` s for work."""

    @abstractmethod
    async def ack(self, entry: OutboxEntry) -> None: ...

    @abstractmethod
    async def retry(self, entry: OutboxEntry, error: str, delay: float) -> None: ...

    @abstractmethod
    async def dead_letter(self, entry: OutboxEntry, error: str) -> None: ...

    @abstractmethod
    async def pending(self) -> int:
        """Entries not yet delivered (due, held or waiting for a retry)."""

    @abstractmethod
    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead letters: {id, payload, attempts, last_error, created_at}."""


def open_outbox(
    res: Resources, platform: str, policy: OutboxPolicy | None = None, *, use_redis: bool | None = None
) -> Outbox:
    """The Redis stream outbox when Redis is configured (or `use_redis`), else the table."""
    policy = policy or OutboxPolicy.from_settings(res.settings)
    if use_redis is None:
        use_redis = res.redis is not None
    if use_redis:
        from .outbox_stream import StreamOutbox

        return StreamOutbox(res, platform, policy)
    from .outbox_table import TableOutbox

    return TableOutbox(res, platform, policy)


def _json_object(response: Any) -> dict[str, Any]:
    """The router's answer (empty when the body is not a JSON object)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def router_sender(
    res: Resources, platform: str, timeout: float = 5.0, *, on_answer: AnswerHook | None = None
) -> Sender:
    """POST each payload to `/router/api/v1/events` with the collector's service token."""
    client = res.http.for_service(platform)

    async def send(payload: dict[str, Any]) -> Verdict:
        try:
            response = await client.call(
                "router", "POST", "/router/api/v1/events", json=payload, timeout=timeout, retries=0
            )
        except DependencyUnavailable as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            return "retry", f"unavailable:{details.get('status') or details.get('reason', 'unknown')}"
        status = response.status_code
        if status in (408, 429) or status >= 500:
            return "retry", f"http_{status}"
        if status >= 300:
            return "dead", f"http_{status}:{response.text[:200]}"
        answer = _json_object(response)
        said = str(answer["status"]) if "status" in answer else ""
        if said == "failed":
            return "retry", "router_failed"
        if on_answer is not None:
            await on_answer(payload, answer)
        return "ok", said or str(status)

    return send


class OutboxWorker:
    """Drains one outbox to the router; one asyncio task per collector process."""

    def __init__(self, outbox: Outbox, send: Sender | None = None) -> None:
        self.outbox = outbox
        self.policy = outbox.policy
        self.send = send or router_sender(outbox.res, outbox.platform, outbox.policy.timeout)
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name=f"outbox:{self.outbox.platform}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_once(self, wait: float = 0.0) -> int:
        """Claim one batch and settle every entry of it; the number of entries."""
        entries = await self.outbox.claim(self.policy.batch_size, wait)
        if entries:
            await asyncio.gather(*(self._settle(entry) for entry in entries))
        return len(entries)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self.run_once(self.policy.poll_interval)
                failures = 0
            except Exception as exc:  # Redis or the database is down: wait, never die
                failures += 1
                WORKER_ERRORS.labels(self.outbox.platform).inc()
                log.warning("outbox.worker_error", platform=self.outbox.platform, error=repr(exc))
                await asyncio.sleep(self.policy.backoff(failures))

    async def _settle(self, entry: OutboxEntry) -> None:
        platform, event_id = self.outbox.platform, entry.payload.get("event_id")
        try:
            verdict, detail = await self.send(entry.payload)
        except Exception as exc:
            log.exception("outbox.send_failed", platform=platform, event_id=event_id)
            verdict, detail = "retry", f"error:{type(exc).__name__}"
        entry.attempts += 1
        age = time.time() - entry.created_at
        if verdict == "retry" and age >= self.policy.max_age:
            verdict, detail = "dead", f"expired after {entry.attempts} attempts: {detail}"
        try:
            await self._record(entry, verdict, detail)
        except Exception as exc:  # the entry stays held; the lease hands it out again
            log.warning("outbox.settle_failed", platform=platform, event_id=event_id, error=repr(exc))

    async def _record(self, entry: OutboxEntry, verdict: str, detail: str) -> None:
        platform, event_id = self.outbox.platform, entry.payload.get("event_id")
        if verdict == "ok":
            await self.outbox.ack(entry)
            ENTRIES.labels(platform, "delivered").inc()
            log.debug("outbox.delivered", platform=platform, event_id=event_id, status=detail)
        elif verdict == "dead":
            await self.outbox.dead_letter(entry, detail)
            ENTRIES.labels(platform, "dead_lettered").inc()
            log.error(
                "outbox.dead_lettered",
                platform=platform,
                event_id=event_id,
                attempts=entry.attempts,
                reason=detail,
            )
        else:
            delay = self.policy.backoff(entry.attempts)
            await self.outbox.retry(entry, detail, delay)
            ENTRIES.labels(platform, "retried").inc()
            log.info(
                "outbox.retry_scheduled",
                platform=platform,
                event_id=event_id,
                attempts=entry.attempts,
                delay=round(delay, 3),
                reason=detail,
            )
