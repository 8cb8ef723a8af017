from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from quart import Blueprint

from flask_core.app import create_app
from flask_core.testing import live_server
from waddlebot_cli.dispatcher import Dispatcher
from waddlebot_cli.main import main


def _app(settings: Any, prefix: str) -> Any:
    bp = Blueprint(prefix, __name__)

    @bp.get("/api/v1/ping")
    async def ping() -> Any:
        return {"service": prefix}

    return create_app(prefix, settings, [bp], prefix)


async def test_dispatcher_routes_by_exact_first_segment(make_settings: Any, free_port: int) -> None:
    settings = make_settings(port=free_port)
    dispatcher = Dispatcher(
        {"alpha": _app(settings, "alpha"), "alphabet": _app(settings, "alphabet")}, settings
    )
    async with live_server(dispatcher, free_port) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/alpha/api/v1/ping")).json() == {"service": "alpha"}
        assert (await http.get("/alphabet/api/v1/ping")).json() == {"service": "alphabet"}
        missing = await http.get("/alphab/api/v1/ping")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        root = await http.get("/")
        assert root.status_code == 404
        assert root.json()["error"]["code"] == "not_found"
        assert (await http.get("/healthz")).json()["services"] == ["alpha", "alphabet"]
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert set(ready.json()["services"]) == {"alpha", "alphabet"}
        assert "waddlebot_http_requests_total" in (await http.get("/metrics")).text


async def test_in_process_calls_reach_the_dispatcher(make_settings: Any, free_port: int) -> None:
    settings = make_settings(port=free_port)
    dispatcher = Dispatcher({"labels": _app(settings, "labels")}, settings)
    async with live_server(dispatcher, free_port):
        assert dispatcher.resources is not None
        client = dispatcher.resources.http.for_service("test")
        response = await client.call("labels", "GET", "/labels/api/v1/ping")
        assert response.json() == {"service": "labels"}


async def test_failed_service_start_fails_the_lifespan(make_settings: Any, free_port: int) -> None:
    settings = make_settings(port=free_port)
    broken = _app(settings, "broken")

    @broken.before_serving
    async def explode() -> None:
        raise RuntimeError("cannot start")

    dispatcher = Dispatcher({"alpha": _app(settings, "alpha"), "broken": broken}, settings)
    with pytest.raises(RuntimeError, match="cannot start"):
        await dispatcher.startup()
    assert dispatcher.resources is None
    assert not dispatcher.started


def test_migrate_command_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENV", "dev")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert out.count("migrated") == 2


def test_waddlebot_run_serves_healthz_on_port(tmp_path: Path, free_port: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL") and k not in ("ENV", "DATA_DIR")}
    env.update(
        PORT=str(free_port), DATA_DIR=str(tmp_path / "var"), LOG_FORMAT="json", ROUTER_DEFAULT_COOLDOWN="0"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "waddlebot_cli.main", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(f"http://127.0.0.1:{free_port}/healthz", timeout=1).status_code
            except httpx.TransportError:
                time.sleep(0.2)
        assert status == 200
        root = httpx.get(f"http://127.0.0.1:{free_port}/", timeout=2)
        assert root.status_code == 404
        assert root.json()["error"]["code"] == "not_found"
        assert (tmp_path / "var" / "secrets" / "internal_jwt_secret").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    assert proc.returncode == 0
