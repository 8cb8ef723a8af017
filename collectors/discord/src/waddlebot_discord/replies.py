"""Answers to Discord: the delivery's `send`, and the short text for empty answers.

An interaction's first message goes out through the rendezvous (type 4 in the webhook's
answer, or an edit of `@original` after a type 5); further messages of the same
interaction are follow-ups. Gateway messages are answered in their channel as the bot,
as a reply to the message. Mentions never ping (`allowed_mentions: {parse: []}`).
"""

from __future__ import annotations

from typing import Any

from flask_core.delivery import DISCORD_ALLOWED_MENTIONS, RetryAfter, SendRejected
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

    async def answer_empty(self, reply: Reply) -> None:
        """Nothing will be delivered: answer with a short ephemeral text, once."""
        interaction_id, token = interaction_of(reply)
        text = self.settings.discord_empty_text
        offer = await self.rendezvous.offer(interaction_id, message(text, ephemeral=True))
        if offer is Offer.INLINE:
            FIRST_ANSWERS.labels("discord", "empty").inc()
        elif offer is Offer.DEFERRED:  # too late to be ephemeral: replace "thinking..."
            await self._edit_original(interaction_id, token, message(text), reply)
