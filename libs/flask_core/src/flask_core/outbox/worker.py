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
from ..supervise import Supervised, cancel_and_wait
from .base import ENTRIES, Outbox, OutboxEntry

log = get_logger(__name__)
WORKER_ERRORS = counter("waddlebot_outbox_worker_errors_total", "Outbox worker loop failures")

Verdict = tuple[Literal["ok", "retry", "dead"], str]
Sender = Callable[[dict[str, Any]], Awaitable[Verdict]]
#: Sends several payloads in one call; one verdict per payload, in order.
BatchSender = Callable[[list[dict[str, Any]]], Awaitable[list[Verdict]]]
MAX_BATCH = 100  # the router's `events/batch` limit (ARCHITECTURE §4.1)
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


def _invalid_index(answer: dict[str, Any]) -> tuple[int | None, str]:
    """`details.index` and the message of a 422 for one invalid batch element."""
    error = answer.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("details"), dict):
        return None, ""
    index = error["details"].get("index")
    return (index if isinstance(index, int) else None), str(error.get("message", ""))


def router_batch_sender(
    res: Resources, platform: str, timeout: float = 15.0, *, on_answer: AnswerHook | None = None
) -> BatchSender:
    """POST up to 100 payloads to `/router/api/v1/events/batch`: one router call per batch."""
    client = res.http.for_service(platform)

    async def send(payloads: list[dict[str, Any]]) -> list[Verdict]:
        try:
            response = await client.call(
                "router", "POST", "/router/api/v1/events/batch", json={"events": payloads},
                timeout=timeout, retries=0,
            )  # fmt: skip
        except DependencyUnavailable as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            reason = f"unavailable:{details.get('status') or details.get('reason', 'unknown')}"
            return [("retry", reason)] * len(payloads)
        status = response.status_code
        if status in (408, 429) or status >= 500:
            return [("retry", f"http_{status}")] * len(payloads)
        answer = _json_object(response)
        if status == 422:  # one element is invalid and nothing was processed: only it is dead
            bad, message = _invalid_index(answer)
            if bad is not None and 0 <= bad < len(payloads):
                verdicts: list[Verdict] = [("retry", "batch_rejected")] * len(payloads)
                verdicts[bad] = ("dead", f"http_422:{message[:200]}")
                return verdicts
        if status >= 300:
            return [("dead", f"http_{status}:{response.text[:200]}")] * len(payloads)
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(payloads):
            return [("retry", "router_bad_answer")] * len(payloads)
        out: list[Verdict] = []
        for payload, result in zip(payloads, results, strict=True):
            said = str(result.get("status", "")) if isinstance(result, dict) else ""
            if said == "failed" or not said:
                out.append(("retry", "router_failed"))
                continue
            if on_answer is not None:
                try:
                    await on_answer(payload, result)
                except Exception as exc:
                    log.warning("outbox.answer_hook_failed", platform=platform, error=repr(exc))
                    out.append(("retry", f"error:{type(exc).__name__}"))
                    continue
            out.append(("ok", said))
        return out

    return send


class OutboxWorker:
    """Drains one outbox to the router; one supervised loop per collector process.

    With the default sender, each claimed batch (up to OUTBOX_BATCH_SIZE, at most 100)
    goes to the router in ONE `events/batch` call, so a busy channel costs one router call
    per batch; a collector that needs to look at each answer passes its own `send`.
    """

    def __init__(self, outbox: Outbox, send: Sender | None = None) -> None:
        self.outbox = outbox
        self.policy = outbox.policy
        self.send = send or router_sender(outbox.res, outbox.platform, outbox.policy.timeout)
        self.send_batch: BatchSender | None = (
            None
            if send is not None
            else router_batch_sender(outbox.res, outbox.platform, outbox.policy.timeout * 3)
        )
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
        entries = await self.outbox.claim(min(self.policy.batch_size, MAX_BATCH), wait)
        if entries:
            async with hold(self.outbox, entries):
                if self.send_batch is not None and len(entries) > 1:
                    await self._settle_batch(entries, self.send_batch)
                else:
                    await asyncio.gather(*(self._settle(entry) for entry in entries))
        return len(entries)

    async def _settle_batch(self, entries: list[OutboxEntry], send: BatchSender) -> None:
        try:
            verdicts = await send([e.payload for e in entries])
        except Exception as exc:
            log.exception("outbox.send_failed", platform=self.outbox.platform, entries=len(entries))
            verdicts = [("retry", f"error:{type(exc).__name__}")] * len(entries)
        await asyncio.gather(*(self._record(e, v) for e, v in zip(entries, verdicts, strict=True)))

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
            verdict: Verdict = await self.send(entry.payload)
        except Exception as exc:
            log.exception("outbox.send_failed", platform=platform, event_id=event_id)
            verdict = ("retry", f"error:{type(exc).__name__}")
        await self._record(entry, verdict)

    async def _record(self, entry: OutboxEntry, verdict: Verdict) -> None:
        platform, event_id = self.outbox.platform, entry.payload.get("event_id")
        verdict_name, detail = verdict
        entry.attempts += 1
        if verdict_name == "retry" and time.time() - entry.created_at >= self.policy.max_age:
            verdict_name, detail = "dead", f"expired after {entry.attempts} attempts: {detail}"
        delay = 0.05 if detail == "batch_rejected" else self.policy.backoff(entry.attempts)
        try:
            await settle(self.outbox, entry, verdict_name, detail, delay)
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
        await cancel_and_wait(task)
