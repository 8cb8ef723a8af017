"""Fixtures for the AI tests: fake providers, settings pointed at them, the app."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

import pytest
import pytest_asyncio

from flask_core.testing import started
from waddlebot_ai.app import create_app
from waddlebot_ai.settings import AiSettings


def _load(name: str, path: Path) -> ModuleType:
    """A helper module of the tests by path (test folders are not packages here)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


HERE = Path(__file__).parent
fakes = _load("waddlebot_ai_test_fakes", HERE / "fakes.py")
FakeOllama = fakes.FakeOllama
FakeOpenAI = fakes.FakeOpenAI

WADDLEAI_KEY = "wa-test-key"


@pytest_asyncio.fixture
async def fake_ollama() -> AsyncIterator[Any]:
    async with FakeOllama().serving() as fake:
        yield fake


@pytest_asyncio.fixture
async def fake_openai() -> AsyncIterator[Any]:
    async with FakeOpenAI(WADDLEAI_KEY).serving() as fake:
        yield fake


def ollama_env(url: str) -> dict[str, Any]:
    parsed = urlparse(url)
    return {
        "ollama_host": parsed.hostname,
        "ollama_port": parsed.port,
        "ollama_use_tls": parsed.scheme == "https",
    }


@pytest.fixture
def ai_settings(make_settings: Any, fake_ollama: Any, fake_openai: Any) -> Callable[..., AiSettings]:
    """`ai_settings(**overrides)`: both providers pointed at the fakes, Ollama chosen."""

    def factory(**overrides: Any) -> AiSettings:
        values: dict[str, Any] = {
            **ollama_env(fake_ollama.url),
            "waddleai_base_url": fake_openai.url,
            "waddleai_api_key": WADDLEAI_KEY,
            "ai_shutdown_grace": 0.5,
            **overrides,
        }
        settings: AiSettings = make_settings(AiSettings, **values)
        return settings

    return factory


@pytest.fixture
def app(ai_settings: Callable[..., AiSettings]) -> Any:
    """The AI app alone, answering commands inline (within 5 s) for the route tests."""
    return create_app(ai_settings(ai_inline_wait=5.0))


@pytest_asyncio.fixture
async def res(app: Any) -> AsyncIterator[Any]:
    async with started(app, settings=app.extensions["waddlebot.settings"]) as resources:
        yield resources


@pytest.fixture
def make_body() -> Callable[..., dict[str, Any]]:
    """`make_body(command, args_text, **event_fields)`: a command request body."""
    return command_body


command_body = fakes.command_body


# --- the Twitch collector's fakes (Helix, signed EventSub), shared with its own tests ----
twitch = _load(
    "waddlebot_ai_test_twitch", HERE.parents[1] / "collectors" / "twitch" / "tests" / "conftest.py"
)
fake_twitch = twitch.fake_twitch
fake_router = twitch.fake_router
bot_user_id = twitch.bot_user_id
eventsub = twitch.eventsub


@pytest.fixture
def twitch_env(fake_twitch: Any, bot_user_id: str) -> dict[str, Any]:
    """The Twitch collector's settings against the fake Helix, scaled down."""
    return {
        "twitch_eventsub_secret": twitch.SECRET, "twitch_client_id": twitch.CLIENT_ID,
        "twitch_client_secret": twitch.CLIENT_SECRET, "twitch_bot_user_id": bot_user_id,
        "twitch_access_token": "user-token-0", "twitch_refresh_token": "refresh-0",
        "twitch_api_url": fake_twitch.api_url, "twitch_auth_url": fake_twitch.auth_url,
        "public_url": "https://bot.example.com",
        "twitch_chat_rate_limit": "100/1s", "twitch_chat_rate_limit_mod": "100/1s",
        "outbox_backoff_base": 0.02, "outbox_backoff_cap": 0.2, "outbox_poll_interval": 0.02,
        "delivery_retry_schedule": "20ms,50ms,100ms", "delivery_drain_timeout": 0.5,
    }  # fmt: skip


# --- the Discord collector's fakes (REST API, signed interactions) ------------------------
discord = _load(
    "waddlebot_ai_test_discord", HERE.parents[1] / "collectors" / "discord" / "tests" / "conftest.py"
)
fake_discord = discord.fake_discord
