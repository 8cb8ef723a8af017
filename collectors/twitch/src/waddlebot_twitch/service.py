"""The EventSub webhook: verify, dedupe, normalise, store in the outbox, acknowledge.

Order matters: the signature is checked on the raw body before anything is parsed,
then the replay window, then the message type. A notification is stored in the outbox
keyed by its message id (kept `twitch_dedupe_ttl` ≥ 10 min) in one atomic step, so
Twitch's redelivery of a stored notification is acknowledged without being stored
again, and a crash before the store leaves nothing that would hide Twitch's retry.
Only then is the webhook acknowledged. The bot's own chat messages never reach the
outbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from flask_core.collector import HeaderMap
from flask_core.errors import BadRequest
from flask_core.logging import get_logger
from flask_core.metrics import counter
from flask_core.outbox import Outbox
from flask_core.resources import Resources

from . import subscriptions
from .channels import Channels
from .eventsub import EventSubHeaders, check_timestamp, verify_signature
from .normalise import Notification, normalise
from .settings import TwitchSettings

log = get_logger(__name__)
NOTIFICATIONS = counter(
    "waddlebot_twitch_notifications_total", "EventSub notifications by type and outcome", ("type", "outcome")
)
MOD_BADGES = {"broadcaster", "moderator", "lead_moderator"}


@dataclass(slots=True, frozen=True)
class WebhookAnswer:
    status: int
    body: str = ""
    content_type: str = "text/plain"


class EventSubService:
    def __init__(self, res: Resources, settings: TwitchSettings, outbox: Outbox, channels: Channels) -> None:
        self.res = res
        self.settings = settings
        self.outbox = outbox
        self.channels = channels
        self.secret = (
            settings.twitch_eventsub_secret.get_secret_value() if settings.twitch_eventsub_secret else ""
        )

    async def handle(self, raw_headers: HeaderMap, body: bytes) -> WebhookAnswer:
        """One webhook request; raises 403 (refused) or 400 (unreadable) as ServiceErrors."""
        headers = EventSubHeaders.parse(raw_headers)
        verify_signature(self.secret, headers, body)
        when = check_timestamp(headers.timestamp, self.settings.twitch_replay_window)
        try:
            envelope = json.loads(body)
        except ValueError:
            raise BadRequest("EventSub body is not JSON", code="invalid_json") from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("subscription"), dict):
            raise BadRequest("EventSub body has no subscription", code="validation_error")
        match headers.message_type:
            case "webhook_callback_verification":
                return await self._verification(envelope)
            case "revocation":
                return await self._revocation(envelope)
            case "notification":
                return await self._notification(headers, when, envelope)
        log.warning("twitch.webhook_unknown_type", message_type=headers.message_type)
        return WebhookAnswer(204)

    async def _verification(self, envelope: dict[str, Any]) -> WebhookAnswer:
        challenge = envelope.get("challenge")
        if not isinstance(challenge, str) or not challenge:
            raise BadRequest("verification without a challenge", code="validation_error")
        await subscriptions.mark(self.res, envelope["subscription"], "enabled")
        log.info("twitch.subscription_verified", type=envelope["subscription"].get("type"))
        return WebhookAnswer(200, challenge, "text/plain")

    async def _revocation(self, envelope: dict[str, Any]) -> WebhookAnswer:
        sub = envelope["subscription"]
        reason = str(sub.get("status") or "revoked")
        await subscriptions.mark(self.res, sub, "revoked", reason)
        NOTIFICATIONS.labels("twitch", str(sub.get("type")), "revoked").inc()
        log.warning(
            "twitch.subscription_revoked", subscription_id=sub.get("id"), type=sub.get("type"), reason=reason
        )
        return WebhookAnswer(204)

    async def _notification(
        self, headers: EventSubHeaders, when: datetime, envelope: dict[str, Any]
    ) -> WebhookAnswer:
        kind = str(envelope["subscription"].get("type") or headers.subscription_type)
        event = envelope.get("event")
        if not isinstance(event, dict):
            raise BadRequest("notification without an event", code="validation_error")
        outcome = await self._store(Notification(headers.message_id, when, kind, event))
        if outcome == "duplicate":
            log.info("twitch.duplicate_notification", message_id=headers.message_id, type=kind)
        NOTIFICATIONS.labels("twitch", kind, outcome).inc()
        return WebhookAnswer(204)

    async def _store(self, n: Notification) -> str:
        """Normalise one notification into the outbox; what happened to it, for the metric."""
        if n.subscription_type == "channel.chat.message" and (
            str(n.event.get("chatter_user_id")) == self.settings.twitch_bot_user_id
        ):
            await self._own_message(n.event)
            return "own_message"
        try:
            normalised = normalise(n)
        except (KeyError, TypeError, ValidationError) as exc:
            log.error("twitch.notification_unreadable", type=n.subscription_type, error=str(exc)[:300])
            raise BadRequest("notification event is not readable", code="validation_error") from None
        if normalised is None:
            return "ignored"
        stored = await self.outbox.put(
            normalised.model_dump(mode="json"), key=n.message_id, key_ttl=self.settings.twitch_dedupe_ttl
        )
        return "stored" if stored is not None else "duplicate"

    async def _own_message(self, event: dict[str, Any]) -> None:
        """Dropped before the outbox; its badges tell whether the bot moderates here."""
        badges = {b.get("set_id") for b in event.get("badges") or [] if isinstance(b, dict)}
        broadcaster_id = str(event.get("broadcaster_user_id"))
        await self.channels.record(broadcaster_id, bool(badges & MOD_BADGES))
        log.debug("twitch.own_message_dropped", broadcaster_id=broadcaster_id)
