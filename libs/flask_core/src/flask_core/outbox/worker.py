"""The inbound outbox worker: drains a collector's events to the router.

2xx → done; 4xx other than 408/429 → dead letter at once; 5xx, 408, 429, timeouts,
DependencyUnavailable and the router's `failed` → retry with capped exponential backoff
and jitter for at most `outbox_max_age` (12 h), then dead letter. Entries a worker is
still busy with keep their lease (`extend`), so no other worker takes them meanwhile.
Delivery is at-least-once; the router answers a copy as `duplicate`, and reprocessing
an event reuses its invocation id, so nothing is answered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from ..errors import DependencyUnavailable
from ..logging import get_logger
from ..metrics import counter
from ..resources import Resources
from ..supervise import Supervised
from .base import ENTRIES, Outbox, OutboxEntry

log = get_logger(__name__)
WORKER_ERRORS = counter("waddlebot_outbox_worker_errors_total", "Outbox worker loop failures")

Verdict = tuple[Literal["ok", "retry", "dead"], str]
Sender = Callable[[dict[str, Any]], Awaitable[Verdict]]
#: `on_answer(payload, answer)`: the router accepted `payload` and answered `answer`.
AnswerHook = Callable[[dict[str, Any], dict[str, Any]], Awaitable[None]]


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
    """Drains one outbox to the router; one supervised loop per collector process."""

    def __init__(self, outbox: Outbox, send: Sender | None = None) -> None:
        self.outbox = outbox
        self.policy = outbox.policy
        self.send = send or router_sender(outbox.res, outbox.platform, outbox.policy.timeout)
        self.loop = Supervised(f"outbox:{outbox.platform}", self._run)

    @property
    def running(self) -> bool:
        return self.loop.running

    def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()

    async def run_once(self, wait: float = 0.0) -> int:
        """Claim one batch and settle every entry of it; the number of entries."""
        entries = await self.outbox.claim(self.policy.batch_size, wait)
        if entries:
            async with hold(self.outbox, entries):
                await asyncio.gather(*(self._settle(entry) for entry in entries))
        return len(entries)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once(self.policy.poll_interval)
            except Exception:
                WORKER_ERRORS.labels(self.outbox.platform).inc()
                raise  # the supervisor logs it and starts the loop again after a backoff

    async def _settle(self, entry: OutboxEntry) -> None:
        platform, event_id = self.outbox.platform, entry.payload.get("event_id")
        try:
            verdict, detail = await self.send(entry.payload)
        except Exception as exc:
            log.exception("outbox.send_failed", platform=platform, event_id=event_id)
            verdict, detail = "retry", f"error:{type(exc).__name__}"
        entry.attempts += 1
        if verdict == "retry" and time.time() - entry.created_at >= self.policy.max_age:
            verdict, detail = "dead", f"expired after {entry.attempts} attempts: {detail}"
        try:
            await settle(self.outbox, entry, verdict, detail, self.policy.backoff(entry.attempts))
        except Exception as exc:  # the entry stays held; the lease hands it out again
            log.warning("outbox.settle_failed", platform=platform, event_id=event_id, error=repr(exc))


async def settle(outbox: Outbox, entry: OutboxEntry, verdict: str, detail: str, delay: float) -> None:
    """Record a verdict: ack, schedule a retry after `delay`, or dead-letter (logged, counted)."""
    platform, event_id = outbox.platform, entry.payload.get("event_id")
    if verdict == "ok":
        await outbox.ack(entry)
        ENTRIES.labels(platform, "delivered").inc()
        log.debug("outbox.delivered", platform=platform, event_id=event_id, status=detail)
    elif verdict == "dead":
        await outbox.dead_letter(entry, detail)
        ENTRIES.labels(platform, "dead_lettered").inc()
        log.error(
            "outbox.dead_lettered",
            platform=platform,
            event_id=event_id,
            attempts=entry.attempts,
            reason=detail,
        )
    else:
        await outbox.retry(entry, detail, delay)
        ENTRIES.labels(platform, "retried").inc()
        log.info(
            "outbox.retry_scheduled",
            platform=platform,
            event_id=event_id,
            attempts=entry.attempts,
            delay=round(delay, 3),
            reason=detail,
        )


@contextlib.asynccontextmanager
async def hold(outbox: Outbox, entries: list[OutboxEntry]) -> Any:
    """Extend the lease of `entries` every third of a lease while the block runs."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(outbox.policy.lease / 3)
            try:
                await outbox.extend(entries)
            except Exception as exc:  # the lease may run out: at-least-once, never lost
                log.warning("outbox.extend_failed", platform=outbox.platform, error=repr(exc))

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
