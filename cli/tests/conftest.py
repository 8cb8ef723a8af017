"""Fixtures for the CLI's end-to-end tests: a whole fleet of every installed service, built
from the environment like `waddlebot run`, and `make run` as a real subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from flask_core.settings import CoreSettings
from flask_core.testing import FakeHttpServer
from waddlebot_cli.testing import Fleet, every_service, every_service_env, process_env, run_fleet


@asynccontextmanager
async def fleet_of_everything(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, port: int, platform_url: str, **extra: str
) -> AsyncIterator[Fleet]:
    from waddlebot_gateway_admin.testing import FakeKong  # gateway_admin needs a Kong to be ready

    kong = FakeKong()
    async with kong.serving():
        env = every_service_env(data_dir, port, platform_url, KONG_ADMIN_URL=kong.url, **extra)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        async with run_fleet(CoreSettings(), every_service()) as fleet:
            yield fleet


@pytest_asyncio.fixture
async def whole_fleet(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, free_port: int, fake_http: FakeHttpServer
) -> AsyncIterator[Fleet]:
    """Every discovered service behind the dispatcher on real HTTP (SQLite, in-process cache);
    the platforms' APIs are `fake_http`."""
    async with fleet_of_everything(monkeypatch, data_dir, free_port, fake_http.url) as fleet:
        yield fleet


@pytest_asyncio.fixture
async def whole_fleet_on_backend(
    monkeypatch: pytest.MonkeyPatch,
    data_dir: Path,
    free_port: int,
    fake_http: FakeHttpServer,
    backend: dict[str, Any],
    key_prefix: str,
) -> AsyncIterator[Fleet]:
    """`whole_fleet`, once embedded and once on the real PostgreSQL and Redis."""
    extra = {name.upper(): str(value) for name, value in backend.items()}
    if "REDIS_URL" in extra:
        extra.update(REDIS_KEY_PREFIX=key_prefix, OUTBOX_ALLOW_VOLATILE_REDIS="true")
    async with fleet_of_everything(monkeypatch, data_dir, free_port, fake_http.url, **extra) as fleet:
        yield fleet


ROOT = Path(__file__).resolve().parents[2]


def run_env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    return process_env(tmp_path / "var", port, LOG_LEVEL="WARNING", **extra)


@contextmanager
def make_run_process(tmp_path: Path, port: int, **extra: str) -> Iterator[tuple[str, dict[str, str]]]:
    env = run_env(tmp_path, port, **extra)
    log_path = tmp_path / "make-run.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        ["make", "-s", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"make run exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail("make run did not answer /healthz within 120 s")
        yield url, env
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture
def make_run(tmp_path: Path, free_port: int) -> Iterator[tuple[str, dict[str, str]]]:
    """`make run` with ROUTER_DEFAULT_COOLDOWN=0 (ARCHITECTURE §12: tests not about cooldowns)."""
    with make_run_process(tmp_path, free_port, ROUTER_DEFAULT_COOLDOWN="0") as running:
        yield running


@pytest.fixture
def make_run_as_shipped(tmp_path: Path, free_port: int) -> Iterator[tuple[str, dict[str, str]]]:
    """`make run` with the shipped defaults (the 5 s cooldown included), as the README describes."""
    with make_run_process(tmp_path, free_port) as running:
        yield running
