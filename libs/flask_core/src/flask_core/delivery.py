"""The collector side of `POST /<platform>/api/v1/messages` (§4.4): idempotent delivery.

A collector supplies only `send(channel_id, text, reply)`; this module does the rest:
    DeliveryService(res, platform, send, rate_for_channel, max_len, neutralise=None)
        .accept(delivery) -> {"queued", "duplicates", "skipped"}  claim, then queue (fast)
        .join() waits for every queue; .close() drains (bounded), releases what is unsent
      send(channel_id, text, reply): post ONE message. Raise RetryAfter(seconds) on the
        platform's 429, SendRejected(reason) when it can never succeed, DependencyUnavailable
        (what flask_core.http raises) when it may succeed later.
      rate_for_channel(channel_id) -> "20/30s": awaited before every message
        (`fixed_rate(rate)` when every channel has the same limit).
    split_text, neutralise_twitch / neutralise_slack / neutralise_discord, NEUTRALISERS,
    MAX_LENGTHS, DISCORD_ALLOWED_MENTIONS (from `delivery_text`, re-exported here),
    DeliverySettings (DELIVERY_* settings).
The endpoint itself, the collector's status and its app wiring are `flask_core.collector`.

Rules: each (invocation_id, response index) is claimed for `delivery_claim_ttl`, so a
retried delivery never posts twice. Per channel, messages leave in order from one task,
each after a slot of the channel's limit (waiting, never dropping). The limit is a sliding
window (`RateLimiter.hit`), not a token bucket: a full bucket of N refilled at N/W lets 2N
through in the first W seconds, and platforms count "N in any W seconds". Chat and error
responses are sent (split on word boundaries to `max_len`, then neutralised chunk by
chunk); overlays are skipped (browser_source's job); DMs and everything that cannot be
sent are dropped, logged (`delivery.dropped`) and counted with a reason.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

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
from .events import Delivery, Reply
from .idempotency import Claims, ClaimState
from .logging import get_logger
from .metrics import counter
from .resources import Resources
from .settings import CoreSettings, parse_rate

__all__ = [
    "DISCORD_ALLOWED_MENTIONS", "MAX_LENGTHS", "NEUTRALISERS", "DeliveryService", "DeliverySettings",
    "RateFn", "RetryAfter", "SendFn", "SendRejected", "fixed_rate", "neutralise_discord",
    "neutralise_slack", "neutralise_twitch", "split_text",
]  # fmt: skip

log = get_logger(__name__)
MESSAGES = counter("waddlebot_delivery_messages_total", "Outbound responses by outcome", ("outcome",))
DROPPED = counter("waddlebot_delivery_dropped_total", "Outbound responses dropped, by reason", ("reason",))

SendFn = Callable[[str, str, Reply], Awaitable[None]]
RateFn = Callable[[str], Awaitable[str]]


def fixed_rate(rate: str) -> RateFn:
    """The same outbound limit (e.g. "1/1s") for every channel."""

    async def rate_for(_channel_id: str) -> str:
        return rate

    return rate_for


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


class _Dropped(SendRejected):
    """Raised inside the service once a message is given up."""


# --- the service ----------------------------------------------------------------------------


class DeliverySettings(CoreSettings):
    """Delivery settings shared by every collector."""

    delivery_claim_ttl: float = 86400.0
    delivery_max_attempts: int = 5
    delivery_max_wait: float = 60.0  # the longest Retry-After honoured before dropping
    delivery_retry_base: float = 0.5
    delivery_drain_timeout: float = 5.0


@dataclass(slots=True)
class _Item:
    key: str
    channel_id: str
    reply: Reply
    chunks: list[str]
    sent: int = 0


class DeliveryService:
    """Idempotent, ordered, rate-limited delivery of router responses to one platform."""

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
    ) -> None:
        self.res, self.platform, self.send = res, platform, send
        self.rate_for_channel, self.max_len = rate_for_channel, max_len
        self.neutralise = neutralise or NEUTRALISERS.get(platform, neutralise_discord)
        s = settings or res.settings
        self.settings = s if isinstance(s, DeliverySettings) else DeliverySettings.model_construct()
        self.claims = Claims(
            res.redis, prefix=res.settings.redis_key_prefix, namespace=f"delivery:{platform}"
        )
        self._queues: dict[str, deque[_Item]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    async def accept(self, delivery: Delivery) -> dict[str, int]:
        """Claim each response and queue it on its channel; returns at once."""
        if self._closed:
            raise DependencyUnavailable(f"{self.platform} delivery is shutting down")
        prepared = [(i, self._prepare(r.model_dump())) for i, r in enumerate(delivery.responses)]
        wanted = [(i, chunks) for i, chunks in prepared if chunks]
        keys = [f"{delivery.invocation_id}:{i}" for i, _ in wanted]
        states = await self.claims.claim_many(keys, self.settings.delivery_claim_ttl) if keys else []
        queued = 0
        for (_, chunks), key, state in zip(wanted, keys, states, strict=True):
            if state is not ClaimState.CLAIMED:
                MESSAGES.labels(self.platform, "duplicate").inc()
                continue
            self._enqueue(_Item(key, delivery.channel_id, delivery.reply, chunks))
            queued += 1
        if queued < len(wanted):
            log.info(
                "delivery.duplicate", platform=self.platform, invocation_id=delivery.invocation_id,
                duplicates=len(wanted) - queued,
            )  # fmt: skip
        return {"queued": queued, "duplicates": len(wanted) - queued, "skipped": len(prepared) - len(wanted)}

    def _prepare(self, response: dict[str, Any]) -> list[str]:
        kind = response.get("type")
        if kind == "overlay":
            MESSAGES.labels(self.platform, "skipped").inc()
            return []
        if kind not in ("chat", "error"):
            self._count_drop(f"{kind}_unsupported")
            return []
        chunks = [self.neutralise(piece) for piece in split_text(str(response.get("text", "")), self.max_len)]
        chunks = [chunk for chunk in chunks if chunk]
        if not chunks:
            self._count_drop("empty")
        return chunks

    def _enqueue(self, item: _Item) -> None:
        self._queues.setdefault(item.channel_id, deque()).append(item)
        if item.channel_id not in self._tasks:
            name = f"delivery:{self.platform}:{item.channel_id}"
            self._tasks[item.channel_id] = asyncio.create_task(self._drain(item.channel_id), name=name)

    async def _drain(self, channel_id: str) -> None:
        queue = self._queues[channel_id]
        try:
            while queue:
                await self._deliver(queue[0])
                queue.popleft()
        finally:
            self._tasks.pop(channel_id, None)
            if not queue:
                self._queues.pop(channel_id, None)

    async def _deliver(self, item: _Item) -> None:
        try:
            while item.sent < len(item.chunks):
                await self._send_chunk(item, item.chunks[item.sent])
                item.sent += 1
        except _Dropped as drop:
            await self._drop(item, drop.reason)
            return
        MESSAGES.labels(self.platform, "sent").inc()
        await self._finish(item)

    async def _send_chunk(self, item: _Item, text: str) -> None:
        attempt = 0
        while True:
            try:
                await self._wait_for_slot(item.channel_id)
                await self.send(item.channel_id, text, item.reply)
                return
            except RetryAfter as exc:
                wait, reason = exc.seconds, "rate_limited"
            except DependencyUnavailable:
                wait, reason = self.settings.delivery_retry_base * 2**attempt, "unavailable"
            except SendRejected as exc:
                raise _Dropped(exc.reason) from None
            except Exception as exc:
                log.exception("delivery.send_failed", platform=self.platform, channel_id=item.channel_id)
                raise _Dropped(f"error:{type(exc).__name__}") from None
            attempt += 1
            if attempt >= self.settings.delivery_max_attempts or wait > self.settings.delivery_max_wait:
                raise _Dropped(reason)
            log.info(
                "delivery.retry", platform=self.platform, channel_id=item.channel_id, reason=reason,
                attempt=attempt, delay=round(wait, 3),
            )  # fmt: skip
            await asyncio.sleep(wait)

    async def _wait_for_slot(self, channel_id: str) -> None:
        """Wait until the channel's window has room, then take one slot."""
        limit, window = parse_rate(await self.rate_for_channel(channel_id))
        key = f"delivery:{self.platform}:{channel_id}"
        while True:
            decision = await self.res.limiter.hit(key, limit, window)
            if decision.allowed:
                return
            await asyncio.sleep(decision.retry_after)

    async def _finish(self, item: _Item) -> None:
        try:
            await self.claims.done(item.key, self.settings.delivery_claim_ttl)
        except DependencyUnavailable:  # the claim itself lasts as long; nothing is re-sent
            log.warning("delivery.mark_done_failed", platform=self.platform, key=item.key)

    async def _drop(self, item: _Item, reason: str) -> None:
        self._count_drop(reason, channel_id=item.channel_id, sent=item.sent, chunks=len(item.chunks))
        if item.sent:
            await self._finish(item)  # part of it is out: never send it again
        else:
            await self.claims.release(item.key)

    def _count_drop(self, reason: str, **context: Any) -> None:
        MESSAGES.labels(self.platform, "dropped").inc()
        DROPPED.labels(self.platform, reason.split(":", 1)[0]).inc()
        log.warning("delivery.dropped", platform=self.platform, reason=reason, **context)

    async def join(self) -> None:
        """Wait until every queued message has been sent or dropped."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        """Stop accepting, drain for up to `delivery_drain_timeout`, release the rest."""
        self._closed = True
        tasks = list(self._tasks.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.settings.delivery_drain_timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for queue in list(self._queues.values()):
            for item in queue:
                await self._drop(item, "shutdown")
        self._queues.clear()
