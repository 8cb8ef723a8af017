"""A whole fleet of every installed service, built from the environment like `waddlebot run`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from flask_core.settings import CoreSettings
from flask_core.testing import FakeHttpServer
from waddlebot_cli.testing import Fleet, every_service, every_service_env, run_fleet


@asynccontextmanager
async def fleet_of_everything(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, port: int, platform_url: str, **extra: str
) -> AsyncIterator[Fleet]:
    for name, value in every_service_env(data_dir, port, platform_url, **extra).items():
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
