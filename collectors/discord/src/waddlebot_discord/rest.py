"""Discord's REST API: interaction edits and follow-ups, channel messages, commands.

Paths are joined to DISCORD_API_URL as strings. Interaction webhooks
(`/webhooks/{application_id}/{token}...`) are authorised by their token; everything
else by `Authorization: Bot DISCORD_BOT_TOKEN`. A 429 becomes RetryAfter (the JSON
`retry_after`, else the Retry-After header); other 4xx SendRejected; 5xx and timeouts
DependencyUnavailable (from flask_core.http), which the delivery retries.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from flask_core.delivery import RetryAfter, SendRejected
from flask_core.http import HttpClient, retry_after_seconds
from flask_core.logging import get_logger

from .settings import DiscordSettings

log = get_logger(__name__)
SERVICE = "discord"


def _retry_after(response: httpx.Response) -> float:
    try:
        body = response.json()
        return max(0.0, float(body["retry_after"]))
    except (ValueError, KeyError, TypeError):
        seconds = retry_after_seconds(response)
        return 1.0 if seconds is None else seconds


def checked(response: httpx.Response, what: str) -> httpx.Response:
    """The response when 2xx; raises RetryAfter on 429 and SendRejected on other 4xx."""
    status = response.status_code
    if status == 429:
        raise RetryAfter(_retry_after(response))
    if status >= 400:
        code = ""
        with contextlib.suppress(ValueError, AttributeError):
            code = str(response.json().get("code", ""))
        log.warning("discord.request_refused", what=what, status=status, code=code)
        raise SendRejected(f"{what}_http_{status}")
    return response


class DiscordApi:
    """Discord's HTTP API through the shared client (budgets, breaker)."""

    def __init__(self, http: HttpClient, settings: DiscordSettings) -> None:
        self.settings = settings
        self.client = http.for_service(SERVICE)
        token = settings.discord_bot_token
        self._bot_token = token.get_secret_value() if token is not None else ""

    @property
    def has_bot_token(self) -> bool:
        return bool(self._bot_token)

    async def request(
        self, method: str, path: str, what: str, *, json: Any = None, bot: bool = False,
        reason: str | None = None,
    ) -> httpx.Response:  # fmt: skip
        headers = {"Authorization": f"Bot {self._bot_token}"} if bot else None
        if bot and not self._bot_token:
            raise SendRejected("no_bot_token")
        if headers is not None and reason:  # shown in the guild's audit log
            headers["X-Audit-Log-Reason"] = quote(reason[:400], safe="")
        response = await self.client.request(
            method,
            f"{self.settings.discord_api_url}{path}",
            json=json,
            headers=headers,
            timeout=self.settings.discord_api_timeout,
            retries=0,
            breaker_key="discord-api",
        )
        return checked(response, what)

    async def edit_original(self, application_id: str, token: str, data: dict[str, Any]) -> None:
        """`PATCH /webhooks/{application_id}/{token}/messages/@original` (after a type 5)."""
        path = f"/webhooks/{application_id}/{token}/messages/@original"
        await self.request("PATCH", path, "edit_original", json=data)

    async def follow_up(self, application_id: str, token: str, data: dict[str, Any]) -> None:
        """`POST /webhooks/{application_id}/{token}`: one more message for the interaction."""
        await self.request("POST", f"/webhooks/{application_id}/{token}", "follow_up", json=data)

    async def create_message(self, channel_id: str, data: dict[str, Any]) -> None:
        """`POST /channels/{channel_id}/messages` as the bot (gateway chat replies)."""
        await self.request("POST", f"/channels/{channel_id}/messages", "create_message", json=data, bot=True)

    async def dm_channel(self, user_id: str) -> str:
        """`POST /users/@me/channels` `{"recipient_id"}`: the id of the bot's DM channel with a user."""
        response = await self.request(
            "POST", "/users/@me/channels", "dm_channel", json={"recipient_id": user_id}, bot=True
        )
        channel_id = str((response.json() or {}).get("id") or "")
        if not channel_id:
            raise SendRejected("dm_channel_without_id")
        return channel_id

    async def delete_message(self, channel_id: str, message_id: str, reason: str) -> None:
        """`DELETE /channels/{c}/messages/{m}` as the bot; a message already gone is fine."""
        path = f"/channels/{channel_id}/messages/{message_id}"
        try:
            await self.request("DELETE", path, "delete_message", bot=True, reason=reason)
        except SendRejected as exc:
            if not exc.reason.endswith("_http_404"):
                raise

    async def time_out(self, guild_id: str, user_id: str, seconds: int, reason: str) -> None:
        """`PATCH /guilds/{g}/members/{u}` with `communication_disabled_until` = now + seconds."""
        until = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
        await self.request(
            "PATCH", f"/guilds/{guild_id}/members/{user_id}", "timeout",
            json={"communication_disabled_until": until}, bot=True, reason=reason,
        )  # fmt: skip

    async def put_commands(
        self, application_id: str, commands: list[dict[str, Any]], guild_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Bulk-overwrite the application's slash commands, globally or for one guild."""
        path = f"/applications/{application_id}/commands"
        if guild_id:
            path = f"/applications/{application_id}/guilds/{guild_id}/commands"
        response = await self.request("PUT", path, "put_commands", json=commands, bot=True)
        body = response.json()
        return body if isinstance(body, list) else []
