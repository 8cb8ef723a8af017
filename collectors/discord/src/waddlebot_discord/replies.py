"""Answers to Discord: the delivery's `send`, `dm` and `moderation` senders, and the short
text for empty answers.

A `dm` is ephemeral (flags 64) on an interaction, else a message in the bot's DM channel
with the user (`POST /users/@me/channels`, needs DISCORD_BOT_TOKEN: without it the entry
is a dead letter, `dm_unavailable`). Moderation: `delete` removes the message, `timeout`
removes it and sets `communication_disabled_until`, `warn` only posts the notice.

An interaction's first message goes out through the rendezvous (type 4 in the webhook's
answer, or an edit of `@original` after a type 5); further messages of the same
interaction are follow-ups. Gateway messages are answered in their channel as the bot,
as a reply to the message. Mentions never ping (`allowed_mentions: {parse: []}`).
"""

from __future__ import annotations

from typing import Any

from flask_core.delivery import DISCORD_ALLOWED_MENTIONS, Outgoing, RetryAfter, SendRejected
from flask_core.events import Reply
from flask_core.logging import get_logger
from flask_core.metrics import counter

from .rendezvous import Offer, Rendezvous
from .rest import DiscordApi
from .settings import DiscordSettings

log = get_logger(__name__)
EPHEMERAL = 1 << 6
FIRST_ANSWERS = counter(
    "waddlebot_discord_first_answers_total", "How interactions got their first answer", ("how",)
)
PRIVATE = counter("waddlebot_discord_private_answers_total", "Private answers by way", ("way",))
MODERATION = counter("waddlebot_discord_moderation_total", "Moderation actions carried out", ("action",))


def message(text: str, *, ephemeral: bool = False) -> dict[str, Any]:
    """A message body that pings nobody; `ephemeral` shows it only to the user."""
    data: dict[str, Any] = {"content": text, "allowed_mentions": dict(DISCORD_ALLOWED_MENTIONS)}
    if ephemeral:
        data["flags"] = EPHEMERAL
    return data


def interaction_of(reply: Reply) -> tuple[str, str]:
    """(interaction id, token) of a `discord_interaction` reply."""
    interaction_id = str((reply.model_extra or {}).get("interaction_id") or "")
    if not interaction_id or not reply.interaction_token:
        raise SendRejected("no_interaction_token")
    return interaction_id, reply.interaction_token


class DiscordReplies:
    def __init__(self, api: DiscordApi, rendezvous: Rendezvous, settings: DiscordSettings) -> None:
        self.api = api
        self.rendezvous = rendezvous
        self.settings = settings
        self._dm_channels: dict[str, str] = {}  # user id → the bot's DM channel with them

    def _application(self, reply: Reply) -> str:
        return reply.application_id or self.settings.discord_application_id or ""

    async def send(self, channel_id: str, text: str, reply: Reply) -> None:
        """Post one message (the `send` of the delivery service)."""
        match reply.kind:
            case "discord_interaction":
                await self._interaction(message(text), reply)
            case "chat":
                data = message(text)
                if reply.message_id:
                    data["message_reference"] = {"message_id": reply.message_id, "fail_if_not_exists": False}
                await self.api.create_message(channel_id, data)
            case _:
                raise SendRejected(f"reply_kind_{reply.kind}")

    async def _interaction(self, data: dict[str, Any], reply: Reply) -> None:
        interaction_id, token = interaction_of(reply)
        offer = await self.rendezvous.offer(interaction_id, data)
        if offer is Offer.INLINE:
            FIRST_ANSWERS.labels("discord", "type4").inc()
            return
        if offer is Offer.DEFERRED and await self._edit_original(interaction_id, token, data, reply):
            return
        if offer is Offer.ANSWERED and not await self.rendezvous.responded(interaction_id):
            raise RetryAfter(0.2)  # the webhook is sending the first part as type 4 right now
        await self.api.follow_up(self._application(reply), token, data)

    async def _edit_original(
        self, interaction_id: str, token: str, data: dict[str, Any], reply: Reply
    ) -> bool:
        """After a type 5, the first sender edits `@original`; False for the others."""
        if not await self.rendezvous.claim_original(interaction_id):
            return False
        try:
            await self.api.edit_original(self._application(reply), token, data)
        except BaseException:
            await self.rendezvous.release_original(interaction_id)  # the retry edits it again
            raise
        FIRST_ANSWERS.labels("discord", "edit_original").inc()
        return True

    # --- private answers and moderation (the delivery's `dm` / `moderation` senders) ------

    async def send_dm(self, out: Outgoing) -> None:
        """A `dm`: ephemeral (flags 64) to the interaction when there is one, else a DM channel."""
        assert out.user is not None  # the delivery drops a dm without a user
        if out.reply.kind == "discord_interaction":
            await self._private_interaction(message(out.text, ephemeral=True), out.reply)
            PRIVATE.labels("discord", "ephemeral").inc()
            return
        if not self.api.has_bot_token:  # a dead letter with this reason (§12)
            PRIVATE.labels("discord", "unavailable").inc()
            raise SendRejected("dm_unavailable: DISCORD_BOT_TOKEN is not set")
        channel = self._dm_channels.get(out.user.platform_user_id)
        if channel is None:
            channel = await self.api.dm_channel(out.user.platform_user_id)
            if len(self._dm_channels) > 10_000:
                self._dm_channels.clear()
            self._dm_channels[out.user.platform_user_id] = channel
        await self.api.create_message(channel, message(out.text))
        PRIVATE.labels("discord", "dm_channel").inc()

    async def _private_interaction(self, data: dict[str, Any], reply: Reply) -> None:
        """Ephemeral: type 4 when in time; after a type 5 an ephemeral follow-up, and the
        deferred "thinking..." (if no other answer took it) says where the answer went."""
        interaction_id, token = interaction_of(reply)
        offer = await self.rendezvous.offer(interaction_id, data)
        if offer is Offer.INLINE:
            FIRST_ANSWERS.labels("discord", "type4_ephemeral").inc()
            return
        if offer is Offer.ANSWERED and not await self.rendezvous.responded(interaction_id):
            raise RetryAfter(0.2)  # the webhook is sending the first part as type 4 right now
        await self.api.follow_up(self._application(reply), token, data)
        if offer is Offer.DEFERRED:
            await self._edit_original(
                interaction_id, token, message(self.settings.discord_private_text), reply
            )

    async def moderate(self, out: Outgoing) -> None:
        """Carry out a `moderation` response as the bot, then post its notice (if any)."""
        r = out.response
        action, reason = str(r.get("action")), str(r.get("reason") or "")
        message_id = str(r.get("message_id") or "")
        if action in ("delete", "timeout") and message_id:
            await self.api.delete_message(out.channel_id, message_id, reason)
        if action == "timeout":
            await self.api.time_out(out.server_id, str(r["user"]), int(r.get("duration") or 10), reason)
        elif action not in ("delete", "warn"):
            raise SendRejected(f"moderation_action_{action}")
        MODERATION.labels("discord", action).inc()
        if out.text:
            await self.api.create_message(out.channel_id, message(out.text))

    async def answer_empty(self, reply: Reply) -> None:
        """Nothing will be delivered: answer with a short ephemeral text, once."""
        interaction_id, token = interaction_of(reply)
        text = self.settings.discord_empty_text
        offer = await self.rendezvous.offer(interaction_id, message(text, ephemeral=True))
        if offer is Offer.INLINE:
            FIRST_ANSWERS.labels("discord", "empty").inc()
        elif offer is Offer.DEFERRED:  # too late to be ephemeral: replace "thinking..."
            await self._edit_original(interaction_id, token, message(text), reply)
