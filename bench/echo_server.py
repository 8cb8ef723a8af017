"""The echo baselines, each served by hypercorn in its own process.

`python -m bench.echo_server bare PORT DATA_DIR`: a plain `quart.Quart` with one POST
route returning the JSON it got. `core`: the same route on a blueprint mounted by
`flask_core.app.create_app` (request ids, metrics, error handlers, request log hook,
Resources lifespan), with the settings of `flask_core.testing.base_env` and
LOG_LEVEL=WARNING like the fleet run.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Blueprint, Quart, request

PREFIX = "echo"


async def echo() -> Any:
    return await request.get_json()


def bare_app() -> Quart:
    app = Quart("bench_echo")
    app.add_url_rule(f"/{PREFIX}/api/v1/echo", "echo", echo, methods=["POST"])
    return app


def core_app(data_dir: Path) -> Quart:
    from flask_core.app import create_app
    from flask_core.settings import CoreSettings
    from flask_core.testing import base_env

    blueprint = Blueprint(PREFIX, __name__)
    blueprint.add_url_rule("/api/v1/echo", "echo", echo, methods=["POST"])
    settings = CoreSettings(**base_env(data_dir, log_level="WARNING"))
    return create_app("bench_core_echo", settings, [blueprint], PREFIX)


async def main(kind: str, port: int, data_dir: Path) -> None:
    app = bare_app() if kind == "bare" else core_app(data_dir)
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = "-"
    config.graceful_timeout = 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(app, config, shutdown_trigger=stop.wait)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("bare", "core"):
        sys.exit("usage: python -m bench.echo_server bare|core PORT DATA_DIR")
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])))
