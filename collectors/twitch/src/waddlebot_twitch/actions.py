"""Private answers and moderation on Twitch, as the bot (the delivery's `dm`/`moderation` senders).

- `dm`: a whisper, `POST /whispers?from_user_id=<bot>&to_user_id=<user>` `{"message"}`
  (204). Where Twitch says the bot may not whisper (400, 401 after a token refresh, 403,
  404: no verified phone, the user blocks whispers from strangers, ...) the user gets ONE
  chat line instead, telling them to use the portal (for the first part of the answer;
  the other parts are not repeated into the chat). A 429 is waited out like any send.
- `moderation` (the bot must moderate the channel):
  `delete` → `DELETE /moderation/chat?broadcaster_id&moderator_id&message_id` (204; 404 =
  already gone); `timeout` → `POST /moderation/bans?broadcaster_id&moderator_id`
  `{"data": {"user_id", "duration", "reason"}}`; `warn` → the notice as a chat line. The
  notice (`text`) of a delete or timeout follows as a chat line. Both actions are
  idempotent at Helix, so a retried entry does no harm.
"""

from __future__ import annotations

from typing import Any

import httpx

from flask_core.delivery import Outgoing, RetryAfter, SendRejected
from flask_core.events import Reply
from flask_core.logging import get_logger
from flask_core.metrics import counter

from .helix import Helix, TwitchAuthError, _retry_after
from .settings import TwitchSettings

log = get_logger(__name__)
WHISPERS = counter("waddlebot_twitch_whispers_total", "Private answers by outcome", ("outcome",))
MODERATION = counter("waddlebot_twitch_moderation_total", "Moderation actions by action and outcome",
                     ("action", "outcome"))  # fmt: skip
#: Helix statuses that mean "the bot may not whisper this user" (not worth a retry).
WHISPER_REFUSED = frozenset({400, 401, 403, 404})


def _refusal(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except ValueError:
        return ""


class TwitchActions:
    def __init__(self, helix: Helix, settings: TwitchSettings) -> None:
        self.helix = helix
        self.settings = settings

    # --- private answers ------------------------------------------------------------------

    async def dm(self, out: Outgoing) -> None:
        """Whisper one part of a `dm` to the asking user; the portal line where Twitch refuses."""
        assert out.user is not None  # the delivery drops a dm without a user
        params = {"from_user_id": self.helix.bot_user_id, "to_user_id": out.user.platform_user_id}
        response = await self.helix.as_user("POST", "/whispers", params=params, json={"message": out.text})
        status = response.status_code
        if status in (200, 204):
            WHISPERS.labels("twitch", "whispered").inc()
            return
        if status == 429:
            raise RetryAfter(_retry_after(response))
        if status not in WHISPER_REFUSED:
            raise SendRejected(f"whisper_http_{status}")
        log.info("twitch.whisper_refused", status=status, reason=_refusal(response), part=out.part)
        if out.part > 0:  # the user was told on the first part already
            WHISPERS.labels("twitch", "refused_again").inc()
            return
        WHISPERS.labels("twitch", "portal_line").inc()
        await self.helix.send_chat(out.channel_id, self.portal_line(out.user.username), out.reply)

    def portal_line(self, username: str) -> str:
        """`@user, <TWITCH_WHISPER_FALLBACK_TEXT> <PUBLIC_URL>` (plain concatenation)."""
        line = f"@{username}, {self.settings.twitch_whisper_fallback_text}"
        portal = (self.settings.public_url or "").rstrip("/")
        return f"{line} {portal}/" if portal else line

    # --- moderation -----------------------------------------------------------------------

    async def moderate(self, out: Outgoing) -> None:
        """Carry out one `moderation` response, then post its notice (if any)."""
        r = out.response
        action = str(r.get("action"))
        match action:
            case "delete":
                await self._delete(out.channel_id, str(r.get("message_id") or ""))
            case "timeout":
                await self._timeout(out.channel_id, str(r["user"]), int(r.get("duration") or 10),
                                    str(r.get("reason") or ""))  # fmt: skip
            case "warn":
                pass
            case _:
                raise SendRejected(f"moderation_action_{action}")
        MODERATION.labels("twitch", action, "done").inc()
        if out.text:
            await self.helix.send_chat(out.channel_id, out.text, Reply(kind="chat"))

    def _moderator(self, broadcaster_id: str) -> dict[str, str]:
        return {"broadcaster_id": broadcaster_id, "moderator_id": self.helix.bot_user_id}

    async def _delete(self, broadcaster_id: str, message_id: str) -> None:
        if not message_id:
            raise SendRejected("moderation_no_message_id")
        params = {**self._moderator(broadcaster_id), "message_id": message_id}
        response = await self.helix.as_user("DELETE", "/moderation/chat", params=params)
        self._check(response, "delete", ok=(200, 204, 404))  # 404: already gone

    async def _timeout(self, broadcaster_id: str, user_id: str, duration: int, reason: str) -> None:
        body: dict[str, Any] = {"data": {"user_id": user_id, "duration": duration, "reason": reason[:500]}}
        response = await self.helix.as_user(
            "POST", "/moderation/bans", params=self._moderator(broadcaster_id), json=body
        )
        self._check(response, "timeout", ok=(200,))

    def _check(self, response: httpx.Response, action: str, ok: tuple[int, ...]) -> None:
        status = response.status_code
        if status in ok:
            return
        if status == 429:
            raise RetryAfter(_retry_after(response))
        MODERATION.labels("twitch", action, f"http_{status}").inc()
        log.warning("twitch.moderation_refused", action=action, status=status, reason=_refusal(response))
        if status == 401:
            raise TwitchAuthError("moderation_unauthorized")
        if status == 403:
            raise SendRejected("moderation_not_moderator")  # the bot must moderate the channel
        raise SendRejected(f"moderation_{action}_http_{status}")
