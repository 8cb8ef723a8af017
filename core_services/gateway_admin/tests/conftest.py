"""Fixtures for the gateway_admin tests: the app in front of a fake Kong Admin API."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from flask_core.testing import started
from waddlebot_gateway_admin.app import create_app
from waddlebot_gateway_admin.settings import GatewayAdminSettings

KONG_TOKEN = "kong-admin-test-token"


def _load_fake() -> Any:
    spec = importlib.util.spec_from_file_location(
        "gateway_fake_kong", Path(__file__).with_name("fake_kong.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


FakeKong = _load_fake().FakeKong


@pytest_asyncio.fixture
async def kong() -> AsyncIterator[Any]:
    server = FakeKong(token=KONG_TOKEN)
    async with server.serving():
        yield server


@pytest.fixture
def app(make_settings: Any, backend: dict[str, Any], kong: Any) -> Any:
    return create_app(
        make_settings(GatewayAdminSettings, kong_admin_url=kong.url, kong_admin_token=KONG_TOKEN, **backend)
    )


@pytest_asyncio.fixture
async def res(app: Any) -> AsyncIterator[Any]:
    async with started(app, settings=app.extensions["waddlebot.settings"]) as resources:
        yield resources
