"""Slack's Web API: `auth.test`, `users.info`, `chat.postMessage`, `chat.postEphemeral`
(private answers), `chat.delete` (moderation) and response URLs.

Methods are joined to SLACK_API_URL as strings. Slack answers most failures with HTTP
200 and `{"ok": false, "error": ...}`: `ratelimited` (or HTTP 429) becomes RetryAfter,
Slack-side errors DependencyUnavailable (retried), everything else SendRejected.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from flask_core.delivery import Outgoing, RetryAfter, SendRejected
from flask_core.errors import DependencyUnavailable
from flask_core.events import Reply
from flask_core.http import retry_after_seconds
from flask_core.logging import get_logger
from flask_core.metrics import counter
from flask_core.resources import Resources

from .normalise import BotIdentity
from .settings import SlackSettings

log = get_logger(__name__)
SERVICE = "slack"
ROLE_LOOKUPS = counter("waddlebot_slack_role_lookups_total", "users.info look-ups by outcome", ("outcome",))
RETRYABLE = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
#: `chat.delete` errors meaning this token may not delete the message: warn only.
CANNOT_DELETE = frozenset({
    "slack_cant_delete_message", "slack_missing_scope", "slack_not_authed", "slack_no_permission",
    "slack_not_allowed_token_type", "slack_restricted_action", "slack_compliance_exports_prevent_deletion",
})  # fmt: skip
PRIVATE = counter("waddlebot_slack_private_answers_total", "Private answers by reply kind", ("kind",))
MODERATION = counter(
    "waddlebot_slack_moderation_total", "Moderation by action and outcome", ("action", "outcome")
)


def roles_of(user: dict[str, Any]) -> list[str]:
    """Workspace owner → broadcaster, admin → moderator (`regular` comes from the portal)."""
    if user.get("is_owner") or user.get("is_primary_owner"):
        return ["broadcaster"]
    if user.get("is_admin"):
        return ["moderator"]
    return []


class SlackApi:
    """Slack's HTTP APIs through the shared client (budgets, retries, breaker)."""

    def __init__(self, res: Resources, settings: SlackSettings) -> None:
        self.res = res
        self.settings = settings
        self.client = res.http.for_service(SERVICE)
        token = settings.slack_bot_token
        self._token = token.get_secret_value() if token is not None else ""
        self._identity: BotIdentity | None = None
        self._identity_tried = -settings.slack_identity_retry
        self._identity_lock = asyncio.Lock()

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, *, get: bool = False
    ) -> dict[str, Any]:
        """One Web API method; returns the body when `ok`, raises as the module docstring says."""
        headers = {"Authorization": f"Bearer {self._token}"}
        response = await self.client.request(
            "GET" if get else "POST",
            f"{self.settings.slack_api_url}/{method}",
            params=payload if get else None,
            json=None if get else payload,
            headers=headers,
            timeout=self.settings.slack_api_timeout,
            retries=0,
            breaker_key="slack-api",
        )
        return _checked(response, method)

    # --- who the bot is -------------------------------------------------------------

    async def identity(self) -> BotIdentity | None:
        """The bot's ids from `auth.test`, fetched once; a failure is tried again later."""
        if self._identity is None and (self._identity_lock.locked() or self._may_try()):
            async with self._identity_lock:  # a look-up in flight: wait for its answer
                if self._identity is None and self._may_try():
                    self._identity = await self._auth_test()
        return self._identity

    def _may_try(self) -> bool:
        return time.monotonic() - self._identity_tried >= self.settings.slack_identity_retry

    async def _auth_test(self) -> BotIdentity | None:
        self._identity_tried = time.monotonic()
        try:
            data = await self.call("auth.test")
        except (DependencyUnavailable, SendRejected, RetryAfter) as exc:
            log.warning("slack.auth_test_failed", error=str(exc))
            return None
        found = BotIdentity(
            str(data.get("user_id", "")), str(data.get("bot_id", "")), str(data.get("team_id", ""))
        )
        log.info("slack.identity", bot_user_id=found.user_id, bot_id=found.bot_id)
        return found

    # --- roles ------------------------------------------------------------------------

    async def user_info(self, team: str, user_id: str) -> dict[str, Any] | None:
        """`users.info` for one user, cached `slack_user_cache_ttl`; None when unavailable."""

        async def load() -> dict[str, Any]:
            data = await self.call("users.info", {"user": user_id}, get=True)
            user = data.get("user") or {}
            profile = user.get("profile") or {}
            name = str(user.get("name") or user_id)
            display = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
            return {"username": name, "display_name": str(display or name), "roles": roles_of(user)}

        try:
            info: dict[str, Any] = await self.res.cache.get_or_set(
                f"slack:user:{team}:{user_id}", load, ttl=self.settings.slack_user_cache_ttl
            )
        except (DependencyUnavailable, SendRejected, RetryAfter) as exc:
            ROLE_LOOKUPS.labels(SERVICE, "failed").inc()
            log.warning("slack.users_info_failed", user_id=user_id, error=str(exc))
            return None
        ROLE_LOOKUPS.labels(SERVICE, "ok").inc()
        return info

    async def enrich(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The event with the user's names and roles from `users.info` (unchanged if unknown)."""
        user = payload.get("user")
        if not isinstance(user, dict) or not user.get("platform_user_id"):
            return payload
        info = await self.user_info(str(payload.get("server_id", "")), str(user["platform_user_id"]))
        if info is None:
            return payload
        merged = {**user, "username": info["username"][:100], "display_name": info["display_name"][:100]}
        merged["roles"] = sorted(set(user.get("roles") or []) | set(info["roles"]))
        return {**payload, "user": merged}

    # --- sending ----------------------------------------------------------------------

    async def send(self, channel_id: str, text: str, reply: Reply) -> None:
        """Post one message: to the response URL of a slash command, else `chat.postMessage`."""
        if reply.kind == "slack_response_url":
            await self.post_response_url(reply.response_url or "", text)
            return
        body: dict[str, Any] = {"channel": channel_id, "text": text}
        if reply.thread_ts:
            body["thread_ts"] = reply.thread_ts
        await self.call("chat.postMessage", body)

    async def post_response_url(self, url: str, text: str, *, ephemeral: bool = False) -> None:
        """A slash command's answer: visible in the channel (`in_channel`), or only to the
        user who asked (`ephemeral`)."""
        if not url or not any(url.startswith(prefix) for prefix in self.settings.slack_response_url_prefixes):
            raise SendRejected("response_url_not_allowed")
        response = await self.client.request(
            "POST",
            url,
            json={"text": text, "response_type": "ephemeral" if ephemeral else "in_channel"},
            timeout=self.settings.slack_api_timeout,
            retries=0,
            breaker_key="slack-response-url",
        )
        if response.status_code == 429:
            raise RetryAfter(_after(response))
        if response.status_code >= 400:
            raise SendRejected(f"response_url_http_{response.status_code}")

    # --- private answers and moderation (the delivery's `dm` / `moderation` senders) ------

    async def send_dm(self, out: Outgoing) -> None:
        """A `dm`: an ephemeral `response_url` answer for a slash command, else
        `chat.postEphemeral` in the channel, seen only by the asking user."""
        assert out.user is not None  # the delivery drops a dm without a user
        if out.reply.kind == "slack_response_url":
            await self.post_response_url(out.reply.response_url or "", out.text, ephemeral=True)
        else:
            await self.ephemeral(out.channel_id, out.user.platform_user_id, out.text, out.reply)
        PRIVATE.labels(SERVICE, out.reply.kind).inc()

    async def ephemeral(self, channel_id: str, user_id: str, text: str, reply: Reply) -> None:
        body: dict[str, Any] = {"channel": channel_id, "user": user_id, "text": text}
        if reply.thread_ts:
            body["thread_ts"] = reply.thread_ts
        await self.call("chat.postEphemeral", body)

    async def moderate(self, out: Outgoing) -> None:
        """`chat.delete` where the token may delete the message (Slack has no timeouts: a
        timeout deletes too); otherwise, and for `warn`, only the notice, to the user alone."""
        r = out.response
        action, user = str(r.get("action")), str(r["user"])
        notice = out.text or str(r.get("reason") or "")
        outcome = "warned"
        if action in ("delete", "timeout") and r.get("message_id"):
            try:
                await self.call("chat.delete", {"channel": out.channel_id, "ts": str(r["message_id"])})
                outcome = "deleted"
            except SendRejected as exc:
                if exc.reason == "slack_message_not_found":
                    outcome = "deleted"
                elif exc.reason not in CANNOT_DELETE:
                    raise
                else:
                    log.info("slack.moderation_warn_only", reason=exc.reason)
        elif action not in ("delete", "timeout", "warn"):
            raise SendRejected(f"moderation_action_{action}")
        MODERATION.labels(SERVICE, action, outcome).inc()
        if notice:
            await self.ephemeral(out.channel_id, user, notice, out.reply)


def _after(response: httpx.Response) -> float:
    seconds = retry_after_seconds(response)
    return 1.0 if seconds is None else seconds


def _checked(response: httpx.Response, method: str) -> dict[str, Any]:
    if response.status_code == 429:
        raise RetryAfter(_after(response))
    if response.status_code >= 400:
        raise SendRejected(f"{method}_http_{response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise DependencyUnavailable(f"slack {method} answered non-JSON") from None
    if not isinstance(data, dict):
        raise DependencyUnavailable(f"slack {method} answered non-JSON")
    if data.get("ok"):
        return data
    error = str(data.get("error") or "unknown")
    if error == "ratelimited":
        raise RetryAfter(_after(response))
    if error in RETRYABLE:
        raise DependencyUnavailable(f"slack {method} failed: {error}", details={"reason": error})
    raise SendRejected(f"slack_{error}")
