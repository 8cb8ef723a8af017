"""`waddlebot run` and `waddlebot migrate`: build the dispatcher and serve it."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import signal
import socket
import sys
from typing import TYPE_CHECKING

from flask_core.logging import configure_logging, get_logger

if TYPE_CHECKING:  # `waddlebot serve` imports this module for `listen`: the rest loads on use
    from flask_core.settings import CoreSettings

    from .dispatcher import Dispatcher

log = get_logger(__name__)


def build_dispatcher(
    settings: CoreSettings, only: list[str] | None = None, *, migrate: bool = True
) -> Dispatcher:
    """Create every discovered service's app (they read the same environment)."""
    from .dispatcher import Dispatcher
    from .services import discover

    apps = {name: factory() for name, factory in discover(only).items()}
    return Dispatcher(apps, settings, migrate=migrate)


DEFAULT_URL = "http://127.0.0.1:8080"  # where `waddlebot chat` looks without --url


def start_banner(settings: CoreSettings, services: list[str]) -> str:
    """What `waddlebot run` prints: where it listens and how to talk to it."""
    chat = "uv run waddlebot chat '!commands'"
    if settings.self_url != DEFAULT_URL:
        chat += f" --url {settings.self_url}"
    return (
        f"WaddleBot is starting on {settings.self_url} with {', '.join(services) or 'no services'}.\n"
        f"Talk to it from another terminal:  {chat}   (Ctrl-C here stops it)"
    )


class PortInUse(Exception):
    """The port is taken: say so in one line instead of a traceback."""


def listen(settings: CoreSettings) -> int:
    """Bind and listen on HOST:PORT before anything starts; the socket's fd for hypercorn."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            word = "in use" if exc.errno == errno.EADDRINUSE else "not allowed"
            raise PortInUse(
                f"port {settings.port} is {word}; set PORT=… to another port "
                f"(e.g. PORT={settings.port + 1} make run), or stop what is using it"
            ) from None
        raise
    return sock.detach()  # hypercorn takes the fd over (fd://)


def release_startup_memory() -> None:
    """Give the allocator's free pages back to the OS once start-up is over (decision 0087).

    Importing and compiling a service's ≈ 1,100 modules leaves freed blocks inside
    glibc's heap that an idle process would keep resident; `malloc_trim(0)` returns
    every whole free page. No-op where libc has no `malloc_trim` (musl, macOS).
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)


def stopped() -> None:
    log.info("runner.stopped")
    print("WaddleBot stopped.", file=sys.stderr, flush=True)


async def serve_forever(settings: CoreSettings, only: list[str] | None = None) -> None:
    """Serve until Ctrl-C or SIGTERM; every app shuts down (outbox left durable) first."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    fd = listen(settings)
    dispatcher = build_dispatcher(settings, only)
    config = Config()
    config.bind = [f"fd://{fd}"]
    config.accesslog = None
    config.errorlog = None  # our own banner and structlog lines say it once
    config.graceful_timeout = 5
    config.keep_alive_timeout = 30
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("runner.serving", url=settings.self_url, services=list(dispatcher.apps))
    print(start_banner(settings, list(dispatcher.apps)), file=sys.stderr, flush=True)
    await serve(dispatcher, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]
    stopped()


async def migrate_all(settings: CoreSettings, only: list[str] | None = None) -> list[str]:
    """Apply every installed service's tables to DATABASE_URL; safe to run twice."""
    from flask_core.resources import Resources

    configure_logging(settings.log_level, settings.log_format)
    dispatcher = build_dispatcher(settings, only, migrate=False)
    res = await Resources.open(settings)
    try:
        for app in dispatcher.apps.values():
            for definer in app.extensions["waddlebot.models"]:
                res.db.add_models(definer)
        return await res.db.migrate()
    finally:
        await res.close()
