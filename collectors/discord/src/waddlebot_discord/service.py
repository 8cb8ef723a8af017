"""The interactions webhook: verify, answer PINGs, store, then wait for the answer.

Order: the Ed25519 signature is checked on the raw body before it is parsed. A command
or component is claimed by its interaction id (a copy is answered without being
processed again), stored in the outbox, and the request waits up to
`discord_interaction_wait` on the rendezvous: the router's delivery in time → type 4
with its text; otherwise type 5 (deferred) and the delivery edits `@original` later.
"""

from __future__ import annotations

from typing import Any

from flask_core.collector import HeaderMap, json_object
from flask_core.errors import BadRequest
from flask_core.logging import get_logger
from flask_core.metrics import counter
from flask_core.outbox import Outbox
from flask_core.resources import Resources

from .normalise import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    PING,
    interaction_event,
)
from .rendezvous import Rendezvous
from .replies import message
from .settings import DiscordSettings
from .signature import Verifier

log = get_logger(__name__)
INTERACTIONS = counter(
    "waddlebot_discord_interactions_total", "Discord interactions by type and answer", ("type", "answer")
)
MESSAGE, DEFERRED, AUTOCOMPLETE_RESULT = 4, 5, 8


class InteractionWebhook:
    def __init__(
        self, res: Resources, settings: DiscordSettings, outbox: Outbox, rendezvous: Rendezvous
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.rendezvous = rendezvous
        self.verifier = Verifier(settings.discord_public_key or "")

    async def handle(self, headers: HeaderMap, body: bytes) -> dict[str, Any]:
        """One interaction request → the interaction response (JSON)."""
        self.verifier.verify(headers, body)
        ix = json_object(body, "interaction")
        kind = ix.get("type")
        if kind == PING:
            return {"type": PING}  # PONG
        if kind == AUTOCOMPLETE:
            return {"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}}
        if kind not in (APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT):
            raise BadRequest("unknown interaction type", code="validation_error", details={"type": kind})
        answer = await self._interaction(ix)
        INTERACTIONS.labels("discord", str(kind), str(answer["type"])).inc()
        return answer

    async def _interaction(self, ix: dict[str, Any]) -> dict[str, Any]:
        try:
            event = interaction_event(ix, self.settings.discord_application_id)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("discord.interaction_unreadable", type=ix.get("type"), error=str(exc)[:300])
            raise BadRequest("interaction is not readable", code="validation_error") from None
        if event is None:
            return {"type": MESSAGE, "data": message(self.settings.discord_guild_only_text, ephemeral=True)}
        interaction_id = str(ix["id"])
        ttl = self.settings.discord_interaction_ttl
        # Stored and deduped in one atomic step: a crash before it leaves nothing to hide
        # Discord's retry; a copy of a stored interaction shows nothing new.
        stored = await self.outbox.put(event.model_dump(mode="json"), key=interaction_id, key_ttl=ttl)
        if stored is None:
            log.info("discord.duplicate_interaction", interaction_id=interaction_id)
            return {"type": DEFERRED}  # the first copy's answer edits or follows up
        answer = await self.rendezvous.wait(interaction_id, self.settings.discord_interaction_wait)
        if answer is None:
            return {"type": DEFERRED}
        await self.rendezvous.mark_responded(interaction_id)
        return {"type": MESSAGE, "data": answer}
