"""Fixtures for the gateway_admin tests: the app in front of a fake Kong Admin API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from flask_core.testing import started
from waddlebot_gateway_admin.app import create_app
from waddlebot_gateway_admin.settings import GatewayAdminSettings
from waddlebot_gateway_admin.testing import FakeKong

KONG_TOKEN = "kong-admin-test-token"


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
