"""Fixtures for the alias tests: router + alias (+ memories) in one fleet, both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from waddlebot_alias.app import create_app as create_alias
from waddlebot_alias.settings import AliasSettings
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings


@pytest.fixture
def fleet(make_settings: Any, backend: dict[str, Any], free_port: int) -> Callable[..., Any]:
    """`async with fleet(**settings) as f`: router, alias and memories on one port."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Fleet]:
        common = {"port": free_port, "default_modules": ["alias", "memories"], **backend, **overrides}
        router = make_settings(
            RouterSettings, router_module_timeout=3.0, router_user_rate_limit="100/30s", **common
        )
        apps = {
            "router": create_router(router),
            "alias": create_alias(make_settings(AliasSettings, **common)),
            "memories": create_memories(make_settings(MemoriesSettings, **common)),
        }
        async with run_fleet(router, apps) as running:
            yield running

    return start
