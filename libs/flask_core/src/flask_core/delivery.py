"""The collector side of `POST /<platform>/api/v1/messages` (§4.4): durable, idempotent delivery.

A collector supplies only `send(channel_id, text, reply)`; this module does the rest:
    DeliveryService(res, platform, send, rate_for_channel, max_len, neutralise=None)
        .accept(delivery) -> {"queued", "duplicates", "skipped"}: every response is stored
          in the outbound outbox `<platform>.out` (deduped per (invocation_id, index) in the
          same atomic step) before this returns, so a 202 means "durable".
        .start() / .close(): the supervised worker that sends what is stored; .join() waits
          until nothing is due or in flight; .outbox is the outbound Outbox.
      send(channel_id, text, reply): post ONE message. Raise RetryAfter(seconds) on the
        platform's 429, SendRejected(reason) when it can never succeed, DependencyUnavailable
        (what flask_core.http raises) when it may succeed later (5xx, timeouts, refused).
      rate_for_channel(channel_id) -> "20/30s": awaited before every message
        (`fixed_rate(rate)` when every channel has the same limit).
    split_text, neutralise_twitch / neutralise_slack / neutralise_discord, NEUTRALISERS,
    MAX_LENGTHS, DISCORD_ALLOWED_MENTIONS (from `delivery_text`, re-exported here),
    DeliverySettings (DELIVERY_* settings).
The endpoint itself, the collector's status and its app wiring are `flask_core.collector`.

Rules: per channel, messages leave in order from one lane, each after a slot of the
channel's sliding-window limit (waiting, never dropping); a lane that waits never holds
up another channel. A 429 is waited out in the lane when its Retry-After is at most
`delivery_max_wait`, else the entry is scheduled for then. A platform that is down (5xx,
timeout, unreachable) is retried on `delivery_retry_schedule` (1 s, 5 s, 30 s, 2 min, 5 min,
30 min, 2 h, 5 h, then every 5 h, with jitter) until `delivery_max_age` (12 h), then the entry
is a dead letter; a refusal (SendRejected) is a dead letter at once. Every give-up is
logged and counted, and `waddlebot outbox retry` sends dead letters again. A crash
between the platform's answer and the ack can send one message twice (at-least-once at
the platform's edge, which has no idempotency key); nothing accepted is ever lost.
Chat and error responses are sent (split on word boundaries to `max_len`, then
neutralised chunk by chunk); overlays are skipped (browser_source's job). `dm` and
`moderation` responses go to the collector's sender for that type (`senders={"dm": ...,
"moderation": ...}`, each called with an `Outgoing`), through the same lanes, limits,
retries and dedupe; a `dm` needs the delivery's asking `user`. A type without a sender
is dropped, logged (`delivery.dropped`) and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import field_validator

from .delivery_text import (
    DISCORD_ALLOWED_MENTIONS,
    MAX_LENGTHS,
    NEUTRALISERS,
    neutralise_discord,
    neutralise_slack,
    neutralise_twitch,
    split_text,
)
from .errors import DependencyUnavailable
from .events import AskingUser, Delivery, Reply
from .logging import get_logger
from .metrics import counter
from .outbox import Outbox, OutboxEntry, OutboxPolicy, open_outbox, settle
from .resources import Resources
from .settings import CoreSettings, parse_duration, parse_rate
from .supervise import Supervised, cancel_and_wait

__all__ = [
    "DISCORD_ALLOWED_MENTIONS", "MAX_LENGTHS", "NEUTRALISERS", "DeliveryService", "DeliverySettings",
    "KindSendFn", "Outgoing", "RateFn", "RetryAfter", "SendFn", "SendRejected", "fixed_rate",
    "neutralise_discord", "neutralise_slack", "neutralise_twitch", "outbound_name", "split_text",
]  # fmt: skip

log = get_logger(__name__)
MESSAGES = counter("waddlebot_delivery_messages_total", "Outbound responses by outcome", ("outcome",))
DROPPED = counter("waddlebot_delivery_dropped_total", "Outbound responses dropped, by reason", ("reason",))

SendFn = Callable[[str, str, Reply], Awaitable[None]]
RateFn = Callable[[str], Awaitable[str]]


@dataclass(slots=True, frozen=True)
class Outgoing:
    """One part of a `dm` or `moderation` response, for the collector's sender of its type.

    `text` is this part (split and neutralised; for `moderation` the notice, maybe empty),
    `part` its index among the response's parts, `response` the whole response as the
    router sent it, `user` the asking user.
    """

    type: str
    channel_id: str
    server_id: str
    reply: Reply
    user: AskingUser | None
    response: dict[str, Any]
    text: str
    part: int = 0


KindSendFn = Callable[[Outgoing], Awaitable[None]]
DEFAULT_SCHEDULE = "1s,5s,30s,2m,5m,30m,2h,5h"


def fixed_rate(rate: str) -> RateFn:
    """The same outbound limit (e.g. "1/1s") for every channel."""

    async def rate_for(_channel_id: str) -> str:
        return rate

    return rate_for


def outbound_name(platform: str) -> str:
    """The name of a platform's outbound outbox (its inbound one is the platform's name)."""
    return f"{platform}.out"


# --- errors a `send` raises ------------------------------------------------------------------


class RetryAfter(Exception):
    """The platform answered 429: wait `seconds`, then try again."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds:.3f}s")
        self.seconds = max(0.0, seconds)


class SendRejected(Exception):
    """The platform refused the message for good (`reason` is logged and counted)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Retry(Exception):
    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.delay = reason, delay


# --- settings -------------------------------------------------------------------------------


class DeliverySettings(CoreSettings):
    """Delivery settings shared by every collector (scaled down in the fault suite)."""

    delivery_claim_ttl: float = 86400.0  # how long (invocation_id, index) stays deduped
    delivery_retry_schedule: str = DEFAULT_SCHEDULE  # the last step repeats until max age
    delivery_max_age: float = 12 * 3600.0
    delivery_max_wait: float = 60.0  # the longest Retry-After waited out in the lane
    delivery_drain_timeout: float = 5.0
    delivery_lease: float = 60.0
    delivery_poll_interval: float = 1.0
    delivery_max_in_flight: int = 500

    @field_validator("delivery_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        steps = [s for s in (p.strip() for p in value.split(",")) if s]
        if not steps:
            raise ValueError("the retry schedule needs at least one step")
        for step in steps:
            parse_duration(step)
        return ",".join(steps)

    def retry_delays(self) -> list[float]:
        return [parse_duration(step) for step in self.delivery_retry_schedule.split(",")]


# --- the service ----------------------------------------------------------------------------


class DeliveryService:
    """Durable, idempotent, ordered, rate-limited delivery of router responses to one platform."""

    def __init__(
        self,
        res: Resources,
        platform: str,
        send: SendFn,
        rate_for_channel: RateFn,
        max_len: int,
        *,
        neutralise: Callable[[str], str] | None = None,
        settings: CoreSettings | None = None,
        outbox: Outbox | None = None,
        senders: Mapping[str, KindSendFn] | None = None,
    ) -> None:
        self.res, self.platform, self.send = res, platform, send
        self.senders = dict(senders or {})
        self.rate_for_channel, self.max_len = rate_for_channel, max_len
        self.neutralise = neutralise or NEUTRALISERS.get(platform, neutralise_discord)
        s = settings or res.settings
        self.settings = s if isinstance(s, DeliverySettings) else DeliverySettings.model_construct()
        self.delays = self.settings.retry_delays()
        policy = OutboxPolicy(lease=self.settings.delivery_lease, max_age=self.settings.delivery_max_age)
        self.outbox = outbox or open_outbox(res, outbound_name(platform), policy)
        self.loop = Supervised(f"delivery:{platform}", self._run)
        self._lanes: dict[str, deque[OutboxEntry]] = {}
        self._lane_tasks: dict[str, asyncio.Task[None]] = {}
        self._held: dict[str, OutboxEntry] = {}
        self._room = asyncio.Event()
        self._closed = False

    @property
    def running(self) -> bool:
        return self.loop.running

    # --- accepting ------------------------------------------------------------------------

    async def accept(self, delivery: Delivery) -> dict[str, int]:
        """Store each response (deduped per invocation and index); durable when this returns."""
        if self._closed:
            raise DependencyUnavailable(f"{self.platform} delivery is shutting down")
        self.start()
        responses = [r.model_dump(mode="json") for r in delivery.responses]
        prepared = [(i, self._prepare(r, delivery.user)) for i, r in enumerate(responses)]
        wanted = [(i, chunks) for i, chunks in prepared if chunks]
        stored: list[str | None] = []
        for i, chunks in wanted:  # one after another: the order of a channel's messages holds
            payload: dict[str, Any] = {
                "invocation_id": delivery.invocation_id,
                "index": i,
                "channel_id": delivery.channel_id,
                "server_id": delivery.server_id,
                "reply": delivery.reply.model_dump(mode="json"),
                "chunks": chunks,
                "sent": 0,
            }
            if responses[i]["type"] in self.senders:  # its own sender: keep what it needs
                payload["response"] = responses[i]
                payload["user"] = delivery.user.model_dump(mode="json") if delivery.user else None
            key = f"{delivery.invocation_id}:{i}"
            stored.append(await self.outbox.put(payload, key=key, key_ttl=self.settings.delivery_claim_ttl))
        queued = sum(1 for entry_id in stored if entry_id is not None)
        MESSAGES.labels(self.platform, "accepted").inc(queued)
        if queued < len(wanted):
            MESSAGES.labels(self.platform, "duplicate").inc(len(wanted) - queued)
            log.info(
                "delivery.duplicate", platform=self.platform, invocation_id=delivery.invocation_id,
                duplicates=len(wanted) - queued,
            )  # fmt: skip
        return {"queued": queued, "duplicates": len(wanted) - queued, "skipped": len(prepared) - len(wanted)}

    def _prepare(self, response: dict[str, Any], user: AskingUser | None = None) -> list[str]:
        kind = response.get("type")
        if kind == "overlay":
            MESSAGES.labels(self.platform, "skipped").inc()
            return []
        if kind == "moderation" and kind in self.senders:  # one step: the action, then its notice
            return [self.neutralise(str(response.get("text") or ""))]
        if kind == "dm" and kind in self.senders and user is None:
            self._count_drop("dm_without_user")
            return []
        if kind not in ("chat", "error") and kind not in self.senders:
            self._count_drop(f"{kind}_unsupported")
            return []
        chunks = [self.neutralise(piece) for piece in split_text(str(response.get("text", "")), self.max_len)]
        chunks = [chunk for chunk in chunks if chunk]
        if not chunks:
            self._count_drop("empty")
        return chunks

    # --- the worker -----------------------------------------------------------------------

    def start(self) -> None:
        if not self._closed:
            self.loop.start()

    async def _run(self) -> None:
        """Claim due entries into per-channel lanes while there is room; lanes send them."""
        renew = asyncio.create_task(self._renew())
        try:
            while True:
                room = self.settings.delivery_max_in_flight - len(self._held)
                if room <= 0:
                    self._room.clear()
                    await self._room.wait()
                    continue
                for entry in await self._claim(min(room, 100)):
                    self._take(entry)
        finally:
            await cancel_and_wait(renew)

    async def _claim(self, limit: int) -> list[OutboxEntry]:
        """Claim entries; cancelled meanwhile (shutdown), what was claimed is still held."""
        claim = asyncio.ensure_future(self.outbox.claim(limit, self.settings.delivery_poll_interval))
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                for entry in await claim:  # close() hands these back instead of a lease running out
                    self._held.setdefault(entry.id, entry)
            raise

    def _take(self, entry: OutboxEntry) -> None:
        if entry.id not in self._held:  # our own reclaimed entry is already in a lane
            self._held[entry.id] = entry
            self._enqueue(entry)

    async def _renew(self) -> None:
        """Extend the lease of every entry a lane holds, every third of a lease."""
        while True:
            await asyncio.sleep(self.settings.delivery_lease / 3)
            if self._held:
                try:
                    await self.outbox.extend(list(self._held.values()))
                except Exception as exc:
                    log.warning("delivery.extend_failed", platform=self.platform, error=repr(exc))

    def _enqueue(self, entry: OutboxEntry) -> None:
        channel = str(entry.payload.get("channel_id", ""))
        self._lanes.setdefault(channel, deque()).append(entry)
        if channel not in self._lane_tasks:
            name = f"delivery:{self.platform}:{channel}"
            self._lane_tasks[channel] = asyncio.create_task(self._drain(channel), name=name)

    async def _drain(self, channel: str) -> None:
        lane = self._lanes[channel]
        try:
            while lane:
                entry = lane[0]
                await self._deliver(entry)  # cancelled at shutdown: it stays held, close() hands it back
                lane.popleft()
                self._held.pop(entry.id, None)
                self._room.set()
        finally:
            self._lane_tasks.pop(channel, None)
            if not lane:
                self._lanes.pop(channel, None)

    async def _deliver(self, entry: OutboxEntry) -> None:
        """Send what is left of one entry, then record the verdict in the outbox."""
        payload = entry.payload
        chunks: list[str] = list(payload.get("chunks") or [])
        reply = Reply.model_validate(payload.get("reply") or {"kind": "chat"})
        channel = str(payload.get("channel_id", ""))
        verdict, detail, delay = "ok", "sent", 0.0
        try:
            while int(payload.get("sent", 0)) < len(chunks):
                await self._send_chunk(channel, chunks[int(payload.get("sent", 0))], reply, payload)
                payload["sent"] = int(payload.get("sent", 0)) + 1
        except _Retry as retry:
            entry.attempts += 1
            verdict, detail = "retry", retry.reason
            delay = retry.delay if retry.delay is not None else self._delay(entry.attempts)
            if time.time() + delay - entry.created_at >= self.settings.delivery_max_age:
                verdict, detail = "dead", f"expired after {entry.attempts} attempts: {retry.reason}"
        except SendRejected as exc:
            verdict, detail = "dead", exc.reason
        except Exception as exc:  # our own store or limiter (Redis down), or a bug: try again later
            log.exception("delivery.send_failed", platform=self.platform, channel_id=channel)
            entry.attempts += 1
            verdict, detail, delay = "retry", f"error:{type(exc).__name__}", self._delay(entry.attempts)
        MESSAGES.labels(
            self.platform, {"ok": "sent", "retry": "retried", "dead": "dead_lettered"}[verdict]
        ).inc()
        if verdict == "dead":
            DROPPED.labels(self.platform, detail.split(":", 1)[0]).inc()
        await self._settle(entry, verdict, detail, delay)

    async def _settle(self, entry: OutboxEntry, verdict: str, detail: str, delay: float) -> None:
        """Record the verdict, trying again until the store takes it: a sent entry that was
        never acknowledged would be sent again once its lease ran out. Meanwhile the entry
        stays held (its lease renewed), so no other worker takes it."""
        pause = 0.1
        while True:
            try:
                await settle(self.outbox, entry, verdict, detail, delay)
                return
            except Exception as exc:
                log.warning("delivery.settle_failed", platform=self.platform, entry=entry.id, error=repr(exc))
                await asyncio.sleep(pause)
                pause = min(5.0, pause * 2)

    def _delay(self, attempts: int) -> float:
        step = self.delays[min(attempts, len(self.delays)) - 1]
        return step * random.uniform(0.8, 1.2)

    async def _send_chunk(self, channel: str, text: str, reply: Reply, payload: dict[str, Any]) -> None:
        response = payload.get("response")
        sender = self.senders.get(str(response.get("type"))) if isinstance(response, dict) else None
        while True:
            await self._wait_for_slot(channel)
            try:
                if sender is not None and isinstance(response, dict):
                    await sender(self._outgoing(channel, text, reply, payload, response))
                else:
                    await self.send(channel, text, reply)
                return
            except RetryAfter as exc:
                if exc.seconds > self.settings.delivery_max_wait:
                    raise _Retry("rate_limited", exc.seconds) from None
                log.info(
                    "delivery.retry_after", platform=self.platform, channel_id=channel, delay=exc.seconds
                )
                await asyncio.sleep(exc.seconds)
            except DependencyUnavailable as exc:
                raise _Retry(f"unavailable:{exc.message[:100]}") from None

    @staticmethod
    def _outgoing(
        channel: str, text: str, reply: Reply, payload: dict[str, Any], response: dict[str, Any]
    ) -> Outgoing:
        user = payload.get("user")
        return Outgoing(
            type=str(response.get("type")),
            channel_id=channel,
            server_id=str(payload.get("server_id", "")),
            reply=reply,
            user=AskingUser.model_validate(user) if isinstance(user, dict) else None,
            response=response,
            text=text,
            part=int(payload.get("sent", 0)),
        )

    async def _wait_for_slot(self, channel_id: str) -> None:
        """Wait until the channel's window has room, then take one slot."""
        limit, window = parse_rate(await self.rate_for_channel(channel_id))
        key = f"delivery:{self.platform}:{channel_id}"
        while True:
            decision = await self.res.limiter.hit(key, limit, window)
            if decision.allowed:
                return
            await asyncio.sleep(decision.retry_after)

    def _count_drop(self, reason: str, **context: Any) -> None:
        MESSAGES.labels(self.platform, "dropped").inc()
        DROPPED.labels(self.platform, reason.split(":", 1)[0]).inc()
        log.warning("delivery.dropped", platform=self.platform, reason=reason, **context)

    # --- waiting and stopping -------------------------------------------------------------

    async def join(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until everything stored was sent or dead-lettered (retries included)."""
        self.start()
        async with asyncio.timeout(timeout):
            while self._held or self._lane_tasks or await self.outbox.pending():  # noqa: ASYNC110
                await asyncio.sleep(0.01)  # the store is polled: another process may hold entries

    async def close(self) -> None:
        """Stop claiming, let the lanes finish for up to `delivery_drain_timeout`; the rest stays stored."""
        self._closed = True
        await self.loop.stop()
        tasks = list(self._lane_tasks.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.settings.delivery_drain_timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        left = list(self._held.values())
        with contextlib.suppress(Exception):  # else their lease runs out: never lost
            await self.outbox.release(left)  # the next worker (a restart) takes them first, in order
        if left:
            log.info("delivery.left_stored", platform=self.platform, entries=len(left))
        self._held.clear()
        self._lanes.clear()
