"""Helix and OAuth: chat messages, EventSub subscriptions, moderated channels, tokens.

Paths are joined to TWITCH_API_URL / TWITCH_AUTH_URL as strings. The bot's user token
lives in `platform_tokens` (seeded from TWITCH_ACCESS_TOKEN / TWITCH_REFRESH_TOKEN; the
row wins once it exists). A 401 refreshes it once (single-flight) and retries once; it
is also refreshed shortly before a known expiry. The app token (client credentials)
is cached in memory until shortly before it expires.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from flask_core.delivery import RetryAfter, SendRejected
from flask_core.events import Reply
from flask_core.http import retry_after_seconds
from flask_core.logging import get_logger
from flask_core.platform_tokens import PlatformToken, TokenStore
from flask_core.resources import Resources

from .settings import TwitchSettings

log = get_logger(__name__)
SERVICE = "twitch"


class TwitchAuthError(SendRejected):
    """Twitch refused our credentials: a human has to fix them (not retried)."""


def _secret(value: Any) -> str:
    if value is None:
        return ""
    return str(value.get_secret_value() if hasattr(value, "get_secret_value") else value)


def _expiry(data: dict[str, Any]) -> float | None:
    seconds = data.get("expires_in")
    return time.time() + float(seconds) if isinstance(seconds, int | float) and seconds > 0 else None


def _retry_after(response: httpx.Response) -> float:
    """Retry-After, else Twitch's Ratelimit-Reset (epoch seconds), else one second."""
    after = retry_after_seconds(response)
    if after is not None:
        return after
    reset = response.headers.get("Ratelimit-Reset", "")
    return max(0.0, float(reset) - time.time()) if reset.isdigit() else 1.0


class Helix:
    """Twitch's HTTP APIs through the shared client (budgets, breaker)."""

    def __init__(self, res: Resources, settings: TwitchSettings) -> None:
        self.settings = settings
        self.client = res.http.for_service(SERVICE)
        self.bot_user_id = settings.twitch_bot_user_id or ""
        self.user_tokens = TokenStore(res.db, "twitch", "user", self.bot_user_id)
        self._app_token: PlatformToken | None = None
        self._app_lock = asyncio.Lock()

    # --- tokens -------------------------------------------------------------------------

    async def seed_user_token(self) -> PlatformToken | None:
        s = self.settings
        return await self.user_tokens.seed(
            _secret(s.twitch_access_token), _secret(s.twitch_refresh_token) or None
        )

    async def user_token(self) -> PlatformToken:
        token = await self.user_tokens.get() or await self.seed_user_token()
        if token is None:
            log.error("twitch.no_user_token", hint="set TWITCH_ACCESS_TOKEN and TWITCH_REFRESH_TOKEN")
            raise TwitchAuthError("no_user_token")
        if token.refresh_token and token.expires_within(self.settings.twitch_token_refresh_margin):
            token = await self.user_tokens.refresh(token, self._refresh_user)
        return token

    async def _refresh_user(self, token: PlatformToken) -> PlatformToken:
        if not token.refresh_token:
            raise TwitchAuthError("no_refresh_token")
        data = await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": token.refresh_token}
        )
        log.info("twitch.user_token_refreshed", bot_user_id=self.bot_user_id)
        return PlatformToken(
            str(data["access_token"]),
            str(data.get("refresh_token") or token.refresh_token),
            _expiry(data),
            tuple(data.get("scope") or ()),
        )

    async def app_token(self) -> str:
        async with self._app_lock:
            if self._app_token is None or self._app_token.expires_within(60):
                data = await self._token_request({"grant_type": "client_credentials"})
                self._app_token = PlatformToken(str(data["access_token"]), None, _expiry(data))
            return self._app_token.access_token

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        s = self.settings
        fields = {
            "client_id": s.twitch_client_id or "",
            "client_secret": _secret(s.twitch_client_secret),
            **form,
        }
        response = await self.client.request(
            "POST",
            f"{s.twitch_auth_url}/token",
            content=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=s.twitch_helix_timeout,
            retries=0,
            breaker_key="twitch-auth",
        )
        if response.status_code != 200:
            log.error(
                "twitch.token_request_failed", grant_type=form["grant_type"], status=response.status_code
            )
            raise TwitchAuthError(f"auth_failed_{response.status_code}")
        data: dict[str, Any] = response.json()
        return data

    # --- requests -------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, token: str, *, json: Any = None, params: Any = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Client-Id": self.settings.twitch_client_id or ""}
        return await self.client.request(
            method,
            f"{self.settings.twitch_api_url}{path}",
            json=json,
            params=params,
            headers=headers,
            timeout=self.settings.twitch_helix_timeout,
            retries=0,
            breaker_key="twitch-helix",
        )

    async def as_user(
        self, method: str, path: str, *, json: Any = None, params: Any = None
    ) -> httpx.Response:
        """A call with the bot's user token; a 401 refreshes it once and retries once."""
        token = await self.user_token()
        response = await self._request(method, path, token.access_token, json=json, params=params)
        if response.status_code == 401:
            log.info("twitch.user_token_rejected", bot_user_id=self.bot_user_id)
            token = await self.user_tokens.refresh(token, self._refresh_user)
            response = await self._request(method, path, token.access_token, json=json, params=params)
        return response

    async def as_app(self, method: str, path: str, *, json: Any = None, params: Any = None) -> httpx.Response:
        """A call with the app token (EventSub subscriptions)."""
        response = await self._request(method, path, await self.app_token(), json=json, params=params)
        if response.status_code == 401:  # revoked early: get a new one, once
            self._app_token = None
            response = await self._request(method, path, await self.app_token(), json=json, params=params)
        return response

    # --- chat ---------------------------------------------------------------------------------

    async def send_chat(self, channel_id: str, text: str, reply: Reply) -> None:
        """`POST /chat/messages` as the bot (the `send` of the delivery service)."""
        body: dict[str, Any] = {"broadcaster_id": channel_id, "sender_id": self.bot_user_id, "message": text}
        if reply.message_id:
            body["reply_parent_message_id"] = reply.message_id
        response = await self.as_user("POST", "/chat/messages", json=body)
        status = response.status_code
        if status == 429:
            raise RetryAfter(_retry_after(response))
        if status == 401:
            raise TwitchAuthError("unauthorized")
        if status >= 400:
            raise SendRejected(f"http_{status}")
        sent = (response.json().get("data") or [{}])[0]
        if sent.get("is_sent") is False:
            raise SendRejected(f"twitch_{(sent.get('drop_reason') or {}).get('code', 'dropped')}")

    async def moderated_channels(self, pages: int = 10) -> list[dict[str, Any]]:
        """Channels where the bot is a moderator (`GET /moderation/channels`)."""
        found: list[dict[str, Any]] = []
        params: dict[str, str] = {"user_id": self.bot_user_id, "first": "100"}
        for _ in range(pages):
            response = await self.as_user("GET", "/moderation/channels", params=params)
            if response.status_code != 200:
                log.warning("twitch.moderated_channels_failed", status=response.status_code)
                break
            payload = response.json()
            found.extend(payload.get("data") or [])
            cursor = (payload.get("pagination") or {}).get("cursor")
            if not cursor:
                break
            params["after"] = cursor
        return found

    # --- users and shoutouts ---------------------------------------------------------------

    async def _first(self, path: str, params: dict[str, str]) -> dict[str, Any] | None:
        """The first `data` item of an app-token GET, None when there is none."""
        response = await self.as_app("GET", path, params=params)
        if response.status_code != 200:
            log.warning("twitch.helix_lookup_failed", path=path, status=response.status_code)
            raise SendRejected(f"http_{response.status_code}")
        data = response.json().get("data") or []
        return data[0] if data and isinstance(data[0], dict) else None

    async def user(self, login: str) -> dict[str, Any] | None:
        """`GET /users?login=`: the user, or None when no such user."""
        return await self._first("/users", {"login": login})

    async def channel(self, broadcaster_id: str) -> dict[str, Any] | None:
        """`GET /channels?broadcaster_id=`: game and title."""
        return await self._first("/channels", {"broadcaster_id": broadcaster_id})

    async def stream(self, user_id: str) -> dict[str, Any] | None:
        """`GET /streams?user_id=`: the live stream, or None when offline."""
        return await self._first("/streams", {"user_id": user_id, "type": "live"})

    async def shoutout(self, from_broadcaster_id: str, to_broadcaster_id: str) -> int:
        """`POST /chat/shoutouts` as the bot (a moderator there): Helix's status code."""
        params = {
            "from_broadcaster_id": from_broadcaster_id,
            "to_broadcaster_id": to_broadcaster_id,
            "moderator_id": self.bot_user_id,
        }
        response = await self.as_user("POST", "/chat/shoutouts", params=params)
        return response.status_code
