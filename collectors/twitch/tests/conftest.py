"""Fakes and builders for the Twitch collector's tests.

`fake_twitch` is a local server (`flask_core.testing.FakeHttpServer`, which records every
request) speaking Helix's and the OAuth endpoint's wire format, reached through
TWITCH_API_URL / TWITCH_AUTH_URL; `fake_router` records the events the outbox delivers;
`eventsub` builds signed, real-format webhook requests from `fixtures/*.json`.
`eventually` comes from `flask_core.testing`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded
from waddlebot_twitch.eventsub import signed_headers
from waddlebot_twitch.settings import TwitchSettings

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "eventsub-test-secret-0123456789"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
EVENTS = "/router/api/v1/events"


@dataclass
class FakeTwitch:
    """Helix + OAuth. Valid tokens rotate on refresh; `chat_script` answers chat posts first."""

    server: FakeHttpServer = field(default_factory=FakeHttpServer)
    user_tokens: set[str] = field(default_factory=lambda: {"user-token-0"})
    refresh_tokens: set[str] = field(default_factory=lambda: {"refresh-0"})
    chat: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    chat_attempts: list[tuple[float, str]] = field(default_factory=list)
    chat_script: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    moderated: list[str] = field(default_factory=list)
    app_tokens: set[str] = field(default_factory=set)
    generation: int = 0
    chat_delay: float = 0.0  # seconds before answering a chat post (to overlap requests)
    #: Helix users/channels/streams by login (`add_user`); native shoutouts received, and
    #: the statuses to answer them with first (e.g. 429).
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    shoutouts: list[dict[str, str]] = field(default_factory=list)
    shoutout_script: list[int] = field(default_factory=list)
    #: Moderation as the bot: deleted chat messages (query) and bans/timeouts (query + data).
    deleted: list[dict[str, str]] = field(default_factory=list)
    bans: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server.route("POST", "/oauth2/token", self.token)
        self.server.route("POST", "/helix/chat/messages", self.chat_message)
        self.server.route("POST", "/helix/eventsub/subscriptions", self.create_subscription)
        self.server.route("GET", "/helix/eventsub/subscriptions", self.list_subscriptions)
        self.server.route("DELETE", "/helix/eventsub/subscriptions", self.delete_subscription)
        self.server.route("GET", "/helix/moderation/channels", self.moderation_channels)
        self.server.route("GET", "/helix/users", self.get_users)
        self.server.route("GET", "/helix/channels", self.get_channels)
        self.server.route("GET", "/helix/streams", self.get_streams)
        self.server.route("POST", "/helix/chat/shoutouts", self.post_shoutout)
        self.server.route("DELETE", "/helix/moderation/chat", self.delete_chat_message)
        self.server.route("POST", "/helix/moderation/bans", self.ban_user)

    @property
    def api_url(self) -> str:
        return f"{self.server.url}/helix"

    @property
    def auth_url(self) -> str:
        return f"{self.server.url}/oauth2"

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        """(method, path, query) of every Helix request."""
        return [(r.method, r.path, r.query) for r in self.server.calls(r"/helix/.*")]

    @staticmethod
    def _unauthorized() -> web.Response:
        body = {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}
        return web.json_response(body, status=401)

    @staticmethod
    def _bearer(call: Recorded) -> str:
        if call.headers.get("Client-Id") != CLIENT_ID:
            return ""
        return call.headers.get("Authorization", "").removeprefix("Bearer ")

    async def token(self, call: Recorded) -> web.Response:
        form = call.form
        self.token_requests.append(form)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return web.json_response({"status": 403, "message": "invalid client secret"}, status=403)
        self.generation += 1
        if form.get("grant_type") == "client_credentials":
            token = f"app-token-{self.generation}"
            self.app_tokens.add(token)
            return web.json_response({"access_token": token, "expires_in": 5011271, "token_type": "bearer"})
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            access, refresh = f"user-token-{self.generation}", f"refresh-{self.generation}"
            self.user_tokens, self.refresh_tokens = {access}, {refresh}
            body = {"access_token": access, "refresh_token": refresh, "expires_in": 14124,
                    "scope": ["user:bot", "user:write:chat"], "token_type": "bearer"}  # fmt: skip
            return web.json_response(body)
        return web.json_response({"status": 400, "message": "Invalid refresh token"}, status=400)

    async def chat_message(self, call: Recorded) -> web.Response:
        token = self._bearer(call)
        self.chat_attempts.append((call.at, token))
        await asyncio.sleep(self.chat_delay)
        if token not in self.user_tokens:
            return self._unauthorized()
        body = call.json
        if self.chat_script:
            status, headers, payload = self.chat_script.pop(0)
            return web.json_response(payload, status=status, headers=headers)
        if len(body.get("message", "")) > 500 or not body.get("sender_id"):
            return web.json_response({"error": "Bad Request", "status": 400, "message": "bad"}, status=400)
        self.chat.append((time.monotonic(), body))
        sent = {"message_id": uuid.uuid4().hex, "is_sent": True, "drop_reason": None}
        return web.json_response({"data": [sent]})

    async def create_subscription(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.app_tokens:
            return self._unauthorized()
        body = call.json
        for sub in self.subscriptions.values():
            if sub["type"] == body["type"] and sub["condition"] == body["condition"]:
                body = {"error": "Conflict", "status": 409, "message": "subscription already exists"}
                return web.json_response(body, status=409)
        sub = {
            "id": str(uuid.uuid4()), "status": "webhook_callback_verification_pending",
            "type": body["type"], "version": body["version"], "condition": body["condition"],
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "cost": 0,
            "transport": {"method": "webhook", "callback": body["transport"]["callback"]},
            "_secret": body["transport"].get("secret"),
        }  # fmt: skip
        self.subscriptions[sub["id"]] = sub
        public = {k: v for k, v in sub.items() if not k.startswith("_")}
        answer = {
            "data": [public],
            "total": len(self.subscriptions),
            "total_cost": 0,
            "max_total_cost": 10000,
        }
        return web.json_response(answer, status=202)

    async def list_subscriptions(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.app_tokens:
            return self._unauthorized()
        subs = [{k: v for k, v in s.items() if not k.startswith("_")} for s in self.subscriptions.values()]
        start = int(call.query.get("after", "0"))
        page = subs[start : start + 5]
        pagination = {"cursor": str(start + 5)} if start + 5 < len(subs) else {}
        body = {
            "data": page,
            "total": len(subs),
            "total_cost": 0,
            "max_total_cost": 10000,
            "pagination": pagination,
        }
        return web.json_response(body)

    async def delete_subscription(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.app_tokens:
            return self._unauthorized()
        if self.subscriptions.pop(call.query.get("id", ""), None) is None:
            return web.json_response(
                {"error": "Not Found", "status": 404, "message": "not found"}, status=404
            )
        return web.Response(status=204)

    async def moderation_channels(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.user_tokens:
            return self._unauthorized()
        data = [{"broadcaster_id": b, "broadcaster_login": f"login{b}", "broadcaster_name": f"Name{b}"}
                for b in self.moderated]  # fmt: skip
        return web.json_response({"data": data, "pagination": {}})

    def add_user(self, login: str, user_id: str, *, game: str, title: str, live: bool) -> None:
        """A Twitch user as Helix describes it (users, channels and, when live, streams)."""
        name = login.title()
        self.users[login] = {
            "id": user_id, "login": login, "display_name": name, "type": "", "broadcaster_type": "affiliate",
            "description": "", "profile_image_url": "", "offline_image_url": "", "view_count": 0,
            "created_at": "2016-12-14T20:32:28Z",
        }  # fmt: skip
        self.channels[user_id] = {
            "broadcaster_id": user_id, "broadcaster_login": login, "broadcaster_name": name,
            "broadcaster_language": "en", "game_id": "509658", "game_name": game, "title": title,
            "delay": 0, "tags": [], "content_classification_labels": [], "is_branded_content": False,
        }  # fmt: skip
        if live:
            self.streams[user_id] = {
                "id": "40952121085", "user_id": user_id, "user_login": login, "user_name": name,
                "game_id": "509658", "game_name": game, "type": "live", "title": title,
                "viewer_count": 78365, "started_at": "2021-03-10T15:04:21Z", "language": "en",
                "thumbnail_url": "https://example.com/{width}x{height}.jpg", "tag_ids": [], "tags": [],
                "is_mature": False,
            }  # fmt: skip

    async def get_users(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.app_tokens | self.user_tokens:
            return self._unauthorized()
        found = self.users.get(call.query.get("login", "").lower())
        return web.json_response({"data": [found] if found else []})

    async def get_channels(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.app_tokens | self.user_tokens:
            return self._unauthorized()
        found = self.channels.get(call.query.get("broadcaster_id", ""))
        return web.json_response({"data": [found] if found else []})

    async def get_streams(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.app_tokens | self.user_tokens:
            return self._unauthorized()
        found = self.streams.get(call.query.get("user_id", ""))
        return web.json_response({"data": [found] if found else [], "pagination": {}})

    async def post_shoutout(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.user_tokens:
            return self._unauthorized()
        self.shoutouts.append(dict(call.query))
        status = self.shoutout_script.pop(0) if self.shoutout_script else 204
        if status == 204:
            return web.Response(status=204)
        body = {"error": "Too Many Requests", "status": status, "message": "The broadcaster may not give "
                "the same broadcaster more than one Shoutout per hour."}  # fmt: skip
        return web.json_response(body, status=status)

    async def delete_chat_message(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.user_tokens:
            return self._unauthorized()
        if not all(call.query.get(k) for k in ("broadcaster_id", "moderator_id", "message_id")):
            return web.json_response({"error": "Bad Request", "status": 400, "message": "bad"}, status=400)
        self.deleted.append(dict(call.query))
        return web.Response(status=204)

    async def ban_user(self, call: Recorded) -> web.Response:
        if self._bearer(call) not in self.user_tokens:
            return self._unauthorized()
        data = (call.json or {}).get("data") or {}
        if (
            not data.get("user_id")
            or not call.query.get("broadcaster_id")
            or not call.query.get("moderator_id")
        ):
            return web.json_response({"error": "Bad Request", "status": 400, "message": "bad"}, status=400)
        self.bans.append({**call.query, **data})
        ban = {"broadcaster_id": call.query["broadcaster_id"], "moderator_id": call.query["moderator_id"],
               "user_id": data["user_id"], "created_at": "2026-12-01T12:00:00Z", "end_time": None}  # fmt: skip
        return web.json_response({"data": [ban]})

    def messages(self, broadcaster_id: str | None = None) -> list[dict[str, Any]]:
        return [b for _, b in self.chat if broadcaster_id in (None, b["broadcaster_id"])]


class FakeRouter(FakeHttpServer):
    """`POST /router/api/v1/events`: records the events; answers `processed`."""

    def __init__(self) -> None:
        super().__init__()
        self.route("POST", EVENTS, self.handle)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [call.json for call in self.calls(EVENTS)]

    async def handle(self, call: Recorded) -> web.Response:
        answer = {"event_id": call.json["event_id"], "status": "processed", "responses": []}
        return web.json_response(answer)


@pytest_asyncio.fixture
async def fake_twitch() -> AsyncIterator[FakeTwitch]:
    fake = FakeTwitch()
    async with fake.server.serving():
        yield fake


@pytest_asyncio.fixture
async def fake_router() -> AsyncIterator[FakeRouter]:
    async with FakeRouter().serving() as fake:
        yield fake


@pytest.fixture
def bot_user_id() -> str:
    return str(900_000_000 + uuid.uuid4().int % 99_999_999)  # a new token row per test


@pytest.fixture
def twitch_settings(
    make_settings: Any,
    backend: dict[str, Any],
    fake_twitch: FakeTwitch,
    fake_router: FakeRouter,
    bot_user_id: str,
) -> Callable[..., TwitchSettings]:
    """`twitch_settings(**overrides)`: a configured collector against the fakes, scaled down."""

    def factory(**overrides: Any) -> TwitchSettings:
        values: dict[str, Any] = {
            "twitch_eventsub_secret": SECRET, "twitch_client_id": CLIENT_ID,
            "twitch_client_secret": CLIENT_SECRET, "twitch_bot_user_id": bot_user_id,
            "twitch_access_token": "user-token-0", "twitch_refresh_token": "refresh-0",
            "twitch_api_url": fake_twitch.api_url, "twitch_auth_url": fake_twitch.auth_url,
            "public_url": "https://bot.example.com", "router_url": fake_router.url,
            "twitch_chat_rate_limit": "50/1s", "twitch_chat_rate_limit_mod": "100/1s",
            "outbox_backoff_base": 0.02, "outbox_backoff_cap": 0.2, "outbox_poll_interval": 0.05,
            "delivery_retry_schedule": "20ms,50ms,100ms", "delivery_drain_timeout": 0.5,
            **backend, **overrides,
        }  # fmt: skip
        settings: TwitchSettings = make_settings(TwitchSettings, **values)
        return settings

    return factory


def rfc3339(when: datetime) -> str:
    """Twitch's timestamp format, nanoseconds included."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


@dataclass
class Signed:
    headers: dict[str, str]
    body: bytes
    message_id: str


def build_eventsub(
    name: str | dict[str, Any],
    *,
    message_id: str | None = None,
    age: float = 0.0,
    secret: str = SECRET,
    message_type: str | None = None,
    change: Callable[[dict[str, Any]], None] | None = None,
) -> Signed:
    """A signed webhook request from a fixture (or a payload), as Twitch sends it."""
    payload = json.loads((FIXTURES / f"{name}.json").read_text()) if isinstance(name, str) else name
    if change is not None:
        change(payload)
    kind = message_type or {"webhook_callback_verification": "webhook_callback_verification",
                            "revocation": "revocation"}.get(str(name), "notification")  # fmt: skip
    message_id = message_id or str(uuid.uuid4())
    timestamp = rfc3339(datetime.now(UTC) - timedelta(seconds=age))
    body = json.dumps(payload).encode()
    headers = signed_headers(
        secret, message_id, timestamp, body, message_type=kind,
        subscription_type=payload["subscription"]["type"],
        subscription_version=payload["subscription"]["version"],
    )  # fmt: skip
    return Signed(headers, body, message_id)


@pytest.fixture
def eventsub() -> Callable[..., Signed]:
    return build_eventsub
