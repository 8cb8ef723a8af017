"""Supervised background work: loops that must run while a service serves.

    Supervised(name, body, backoff_base=0.5, backoff_cap=30.0, delay=None, forever=False)
        `body()` is an async callable that runs until cancelled (a worker loop). If it
        raises, the failure is logged and counted, and it is started again after a
        capped exponential backoff with jitter (or `delay(failures)`); it is never left
        dead. With `forever`, a body that returns is started again too (a connection
        that ended, like a gateway session).
        `start()`, `await stop()` (cancel and wait), `running`, `restarts`, `last_error`,
        `await ready()` -> (ok, detail) for `/readyz`.
    supervise(app, name, body, required=False): start it in the app's lifespan, stop it
        at shutdown, and report it on `/readyz` as `<name>`.

The outbox worker, the delivery worker, the cache's invalidation listener, schedulers
and gateway clients all run under it, so "the loop died and nobody noticed" cannot happen.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .logging import get_logger
from .metrics import counter

if TYPE_CHECKING:
    from quart import Quart

log = get_logger(__name__)
RESTARTS = counter(
    "waddlebot_background_restarts_total", "Background loops restarted after a failure", ("loop",)
)

Body = Callable[[], Awaitable[None]]


class Supervised:
    """One background loop, restarted with backoff whenever it fails."""

    def __init__(
        self,
        name: str,
        body: Body,
        *,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        delay: Callable[[int], float] | None = None,
        forever: bool = False,
    ) -> None:
        self.name = name
        self.body = body
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.delay = delay
        self.forever = forever
        self.restarts = 0
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name=f"supervised:{self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)

    async def ready(self) -> tuple[bool, str]:
        if not self.running:
            return False, "stopped"
        detail = f"running, {self.restarts} restarts"
        return True, detail if self.last_error is None else f"{detail}, last error {self.last_error}"

    def _delay(self, failures: int) -> float:
        if self.delay is not None:
            return self.delay(failures)
        delay: float = min(self.backoff_cap, self.backoff_base * 2.0 ** max(0, failures - 1))
        return delay / 2 + random.uniform(0, delay / 2)

    async def _run(self) -> None:
        failures = 0
        while True:
            loop = asyncio.get_running_loop()
            started = loop.time()
            try:
                await self.body()
                if not self.forever:
                    return  # a body that returns has finished its work
                raise EOFError("ended")  # started again, like a failure
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if loop.time() - started > self.backoff_cap:
                    failures = 0  # it ran well for a while: start the backoff again
                failures += 1
                self.restarts += 1
                self.last_error = type(exc).__name__
                RESTARTS.labels(self.name.split(":", 1)[-1], self.name).inc()
                delay = self._delay(failures)
                log.warning(
                    "background.restarting", loop=self.name, error=repr(exc)[:300], delay=round(delay, 3)
                )
                await asyncio.sleep(delay)


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it is done, without ever swallowing our own cancellation
    (`with suppress(CancelledError): await task` does, when the caller is cancelled while
    it waits), and cancelling again if the task ignored the first request."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    if not task.cancelled() and task.exception() is not None:
        log.warning("background.stopped_with_error", task=task.get_name(), error=repr(task.exception()))


def supervise(app: Quart, name: str, body: Body, *, required: bool = False) -> Supervised:
    """Run `body` under supervision while `app` serves; reported on `/readyz` as `name`."""
    from .app import add_ready_check

    loop = Supervised(name, body)

    async def check(_res: Any) -> tuple[bool, str]:
        return await loop.ready()

    add_ready_check(app, name, check, required=required)

    @app.while_serving
    async def _serve() -> AsyncGenerator[None]:
        loop.start()
        try:
            yield
        finally:
            await loop.stop()

    return loop
