"""Fixtures for the Slack collector: a local fake Slack (and router), signed requests.

The fake (a `flask_core.testing.FakeHttpServer`) speaks Slack's wire format on a free
port (SLACK_API_URL points at it) and records every request; it also answers
`POST /router/api/v1/events` when a test points ROUTER_URL at it, so webhook tests see
exactly what the collector forwards.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded
from waddlebot_slack.settings import SlackSettings
from waddlebot_slack.signature import sign

FIXTURES = Path(__file__).parent / "fixtures"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
USERS = {"U0OWNER": {"is_owner": True}, "U0ADMIN": {"is_admin": True}}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeSlack(FakeHttpServer):
    """Slack's Web API, response URLs and (optionally) the router, on 127.0.0.1."""

    def __init__(self) -> None:
        super().__init__()
        self.router_answer: dict[str, Any] = {"status": "processed", "responses": []}
        self.can_delete = True  # False: chat.delete answers cant_delete_message (a bot token)

    async def default(self, call: Recorded) -> web.Response:
        body = call.body
        match call.path:
            case "/api/auth.test":
                return web.json_response(fixture("auth_test"))
            case "/api/users.info":
                user = copy.deepcopy(fixture("users_info"))
                user["user"].update(
                    {"id": body["user"], "name": body["user"].lower(), **USERS.get(body["user"], {})}
                )
                return web.json_response(user)
            case "/api/chat.postMessage":
                ts = f"{time.time():.6f}"
                return web.json_response({"ok": True, "channel": body["channel"], "ts": ts, "message": body})
            case "/api/chat.postEphemeral":
                return web.json_response({"ok": True, "message_ts": f"{time.time():.6f}"})
            case "/api/chat.delete":
                if self.can_delete:
                    return web.json_response({"ok": True, "channel": body["channel"], "ts": body["ts"]})
                return web.json_response({"ok": False, "error": "cant_delete_message"})
            case "/router/api/v1/events":
                return web.json_response({"event_id": body["event_id"], **self.router_answer})
        if call.path.startswith("/hooks/"):
            return web.Response(text="ok")
        return web.json_response({"ok": False, "error": "unknown_method"}, status=404)


@pytest_asyncio.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack().serving() as fake:
        yield fake


@pytest.fixture
def slack_env(fake_slack: FakeSlack, backend: dict[str, Any], free_port: int) -> dict[str, Any]:
    """Settings values shared by every app of a Slack test (scaled-down timings)."""
    return {
        "port": free_port,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_bot_token": BOT_TOKEN,
        "slack_api_url": f"{fake_slack.url}/api",
        "slack_response_url_prefixes": [f"{fake_slack.url}/hooks/"],
        "slack_chat_rate_limit": "100/1s",
        "outbox_poll_interval": 0.05,
        "outbox_backoff_base": 0.05,
        "delivery_retry_schedule": "10ms,20ms,50ms",
        **backend,
    }


@pytest.fixture
def app(make_settings: Any, slack_env: dict[str, Any], fake_slack: FakeSlack) -> Any:
    """The collector alone; its outbox drains to the fake router."""
    from waddlebot_slack.app import create_app

    return create_app(make_settings(SlackSettings, router_url=fake_slack.url, **slack_env))


def signed(body: bytes, *, secret: str = SIGNING_SECRET, at: float | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`."""
    timestamp = str(int(time.time() if at is None else at))
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": sign(secret, timestamp, body)}


@dataclass
class Sender:
    """Posts signed Slack requests to a test client or a live server."""

    post: Callable[..., Any]

    async def event(self, payload: dict[str, Any], **headers: str) -> Any:
        body = json.dumps(payload).encode()
        all_headers = {"Content-Type": "application/json", **signed(body), **headers}
        return await self.post("/slack/webhooks/events", body, all_headers)

    async def form(self, path: str, fields: dict[str, str]) -> Any:
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(body)}
        return await self.post(path, body, headers)


@pytest.fixture
def send_to(client: Any) -> Sender:
    async def post(path: str, body: bytes, headers: dict[str, str]) -> Any:
        return await client.post(path, data=body, headers=headers)

    return Sender(post)


def live_sender(http: httpx.AsyncClient) -> Sender:
    async def post(path: str, body: bytes, headers: dict[str, str]) -> Any:
        return await http.post(path, content=body, headers=headers)

    return Sender(post)


def message(
    text: str, *, user: str = "U0AMY", kind: str = "message", ts: str | None = None
) -> dict[str, Any]:
    """A `message` (or `app_mention`) envelope with fresh ids."""
    envelope = fixture("message" if kind == "message" else "app_mention")
    envelope["event_id"] = f"Ev{uuid.uuid4().hex[:10].upper()}"
    envelope["event"].update({"text": text, "user": user, "ts": ts or f"{time.time():.6f}"})
    return envelope


@pytest.fixture
def make_message() -> Callable[..., dict[str, Any]]:
    """`make_message(text, user=, kind="message"|"app_mention", ts=)`: a fresh envelope."""
    return message


@pytest.fixture
def load() -> Callable[[str], Any]:
    """`load(name)`: a recorded payload from tests/fixtures (a fresh copy)."""
    return fixture


@pytest.fixture
def sign_headers() -> Callable[..., dict[str, str]]:
    """`sign_headers(body, secret=, at=)`: the signature headers Slack sends."""
    return signed


@pytest.fixture
def make_live_sender() -> Callable[[httpx.AsyncClient], Sender]:
    return live_sender
