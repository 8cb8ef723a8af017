"""The optional gateway (chat messages that are not slash commands).

Runs only when DISCORD_BOT_TOKEN is set. A `GatewaySession` (py-cord's client in
production, `pycord_session.PycordSession`; a fake in tests) connects and calls
`on_message(MESSAGE_CREATE data, guild info)` for each message; the supervisor
normalises it and stores it in the outbox, like a webhook. A session that fails or
ends is started again after a capped exponential backoff with jitter, forever: the
gateway never stops the collector or the fleet. Its state is an optional /readyz
check ("connected", "connected but silent", "reconnecting ...").
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from flask_core.logging import get_logger
from flask_core.metrics import counter
from flask_core.outbox import Outbox
from flask_core.resources import Resources
from flask_core.supervise import Supervised

from .normalise import GuildInfo, message_event
from .settings import DiscordSettings

log = get_logger(__name__)
MessageHandler = Callable[[Mapping[str, Any], GuildInfo | None], Awaitable[None]]
GATEWAY = counter("waddlebot_discord_gateway_total", "Gateway sessions and messages by outcome", ("outcome",))


class GatewaySession(Protocol):
    """One connection attempt; `run` returns or raises when the connection is over."""

    async def run(self, on_message: MessageHandler, on_ready: Callable[[], None]) -> None: ...

    async def close(self) -> None: ...


SessionFactory = Callable[[], GatewaySession]


class Gateway:
    def __init__(self, factory: SessionFactory, outbox: Outbox, settings: DiscordSettings) -> None:
        self.factory = factory
        self.outbox = outbox
        self.settings = settings
        self.connected = False
        self.failures = 0
        self.last_error = ""
        self.last_event = time.monotonic()
        self._session: GatewaySession | None = None
        # Reconnects forever with this gateway's own backoff (reset once READY arrives).
        self.loop = Supervised(
            "discord:gateway", self._session_once, delay=lambda _n: self.backoff(), forever=True
        )

    def start(self) -> None:
        self.loop.start()

    async def stop(self) -> None:
        if self._session is not None:
            with contextlib.suppress(Exception):
                await self._session.close()
        await self.loop.stop()

    def backoff(self) -> float:
        """Capped exponential delay, half fixed and half random (jitter)."""
        s = self.settings
        delay: float = min(
            s.discord_gateway_backoff_cap, s.discord_gateway_backoff_base * 2 ** (self.failures - 1)
        )
        return delay / 2 + random.uniform(0, delay / 2)

    async def _session_once(self) -> None:
        """One gateway session; when it ends or fails, `Supervised` starts another."""
        self._session = self.factory()
        try:
            await self._session.run(self.on_message, self._on_ready)
            self.last_error = "session ended"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let the gateway take the collector down
            self.last_error = f"{type(exc).__name__}: {exc}"[:200]
        self.connected = False
        self.failures += 1
        GATEWAY.labels("discord", "disconnected").inc()
        log.warning("discord.gateway_reconnect", error=self.last_error, attempt=self.failures)
        with contextlib.suppress(Exception):
            await self._session.close()

    def _on_ready(self) -> None:
        """READY or RESUMED: connected (again)."""
        self.last_event = time.monotonic()
        if not self.connected:
            self.connected, self.failures = True, 0
            GATEWAY.labels("discord", "connected").inc()
            log.info("discord.gateway_connected")

    async def on_message(self, data: Mapping[str, Any], guild: GuildInfo | None) -> None:
        """A MESSAGE_CREATE: normalised and stored; one that cannot be read is logged."""
        self.last_event = time.monotonic()
        try:
            event = message_event(data, guild)
        except (KeyError, TypeError, ValueError) as exc:
            GATEWAY.labels("discord", "unreadable").inc()
            log.error("discord.gateway_message_unreadable", error=str(exc)[:300])
            return
        if event is None:
            GATEWAY.labels("discord", "ignored").inc()
            return
        # Keyed by the message's event id: a gateway RESUME that replays it stores nothing new.
        stored = await self.outbox.put(event.model_dump(mode="json"), key=event.event_id, key_ttl=3600.0)
        GATEWAY.labels("discord", "stored" if stored is not None else "duplicate").inc()

    async def ready(self, res: Resources) -> tuple[bool, str]:
        """The optional /readyz check."""
        if not self.connected:
            return False, f"reconnecting (attempt {self.failures}): {self.last_error or 'connecting'}"
        silent = time.monotonic() - self.last_event
        if silent > self.settings.discord_gateway_silence:
            return False, f"connected but silent for {int(silent)}s"
        return True, "connected"
