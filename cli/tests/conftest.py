"""A whole fleet of every installed service, built from the environment like `waddlebot run`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from flask_core.settings import CoreSettings
from flask_core.testing import FakeHttpServer
from waddlebot_cli.testing import Fleet, every_service, every_service_env, run_fleet


@pytest_asyncio.fixture
async def whole_fleet(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, free_port: int, fake_http: FakeHttpServer
) -> AsyncIterator[Fleet]:
    """Every discovered service behind the dispatcher on real HTTP; platforms faked by `fake_http`."""
    for name, value in every_service_env(data_dir, free_port, fake_http.url).items():
        monkeypatch.setenv(name, value)
    async with run_fleet(CoreSettings(), every_service()) as fleet:
        yield fleet
