"""`waddlebot serve <prefix>`: one service of the table alone on hypercorn (fleet, compose, k8s).

The service reads its settings from the environment like every other entry point; it
listens on HOST:PORT, answers `/healthz` and `/readyz` at the root, and drains on
SIGTERM within `SERVE_GRACEFUL_TIMEOUT` seconds. It does not migrate: `waddlebot
migrate` runs first (the fleet, compose's one-shot service, the Kubernetes Job).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from flask_core import service_table

if TYPE_CHECKING:  # the `waddlebot` parser imports this module: keep it light
    from flask_core.settings import CoreSettings


class UnknownService(Exception):
    """The prefix is not in the table, or its package is not installed here."""


def check_prefix(prefix: str) -> None:
    """Refuse a prefix the table lacks or whose package this image does not carry."""
    if prefix not in service_table.PREFIXES:
        raise UnknownService(
            f"unknown service {prefix!r}; the service table has: {', '.join(service_table.PREFIXES)}"
        )
    present = service_table.installed()
    if prefix not in present:
        raise UnknownService(
            f"service {prefix!r} is in the table but not installed here; installed: "
            f"{', '.join(p for p in service_table.PREFIXES if p in present) or 'none'}"
        )


async def serve_one(prefix: str, settings: CoreSettings) -> None:
    """Serve the app of `prefix` until SIGINT or SIGTERM."""
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from flask_core.logging import get_logger

    from .runner import listen, release_startup_memory
    from .services import discover

    log = get_logger(__name__)

    fd = listen(settings)
    app = discover([prefix])[prefix]()

    @app.before_serving
    async def _started() -> None:  # registered last: runs after the service's own start-up
        release_startup_memory()

    config = Config()
    config.bind = [f"fd://{fd}"]
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = settings.serve_graceful_timeout
    config.keep_alive_timeout = 30
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("serve.serving", service=prefix, url=settings.self_url)
    print(f"waddlebot serve {prefix}: listening on {settings.self_url}", file=sys.stderr, flush=True)
    await serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]
    log.info("serve.stopped", service=prefix)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run one service of the table on hypercorn (HOST, PORT)")
    serve.add_argument("prefix", help="the service's prefix (router, twitch, memories …)")
    serve.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from flask_core.logging import configure_from

    from .main import _settings
    from .runner import PortInUse

    try:
        check_prefix(args.prefix)
    except UnknownService as exc:
        print(f"waddlebot serve: {exc}", file=sys.stderr)
        return 2
    settings = _settings()
    configure_from(settings)
    try:
        asyncio.run(serve_one(args.prefix, settings))
    except PortInUse as exc:
        print(f"waddlebot serve {args.prefix}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
