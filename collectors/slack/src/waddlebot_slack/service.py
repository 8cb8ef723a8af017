"""The Slack webhooks: verify, dedupe, normalise, store in the outbox, acknowledge.

Order: the v0 signature and the replay window are checked on the raw body before it
is parsed. Events are deduplicated on Slack's `event_id` (retries carry the same id)
and on the normalised event id (a mention arrives as `message` and `app_mention`),
both claimed in one round trip; a claim is released when storing fails, so Slack's
retry is processed. The bot's own messages and non-person subtypes are dropped before
the outbox. Roles are looked up after the outbox, by the worker (`enriching_sender`),
so the acknowledgement never waits for `users.info`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask_core.collector import HeaderMap, json_object
from flask_core.errors import BadRequest
from flask_core.events import Event
from flask_core.logging import get_logger
from flask_core.metrics import counter
from flask_core.outbox import Outbox, Sender, Verdict
from flask_core.resources import Resources

from . import normalise
from .schemas import WebhookAnswer
from .settings import SlackSettings
from .signature import HEADER_RETRY_NUM, HEADER_RETRY_REASON, verify
from .web_api import SlackApi

log = get_logger(__name__)
WEBHOOKS = counter(
    "waddlebot_slack_webhooks_total", "Slack webhooks by kind and outcome", ("kind", "outcome")
)


def enriching_sender(api: SlackApi, send: Sender) -> Sender:
    """The outbox sender with the user's roles and names from `users.info` added first."""

    async def enriched(payload: dict[str, Any]) -> Verdict:
        return await send(await api.enrich(payload))

    return enriched


class SlackWebhooks:
    def __init__(self, res: Resources, settings: SlackSettings, outbox: Outbox, api: SlackApi) -> None:
        self.settings = settings
        self.outbox = outbox
        self.api = api
        secret = settings.slack_signing_secret
        self.secret = secret.get_secret_value() if secret is not None else ""

    def _verify(self, headers: HeaderMap, body: bytes) -> None:
        verify(self.secret, headers, body, self.settings.slack_replay_window)

    async def events(self, headers: HeaderMap, body: bytes) -> WebhookAnswer:
        """`POST /slack/webhooks/events` (Events API)."""
        self._verify(headers, body)
        envelope = json_object(body, "body")
        match envelope.get("type"):
            case "url_verification":
                challenge = envelope.get("challenge")
                if not isinstance(challenge, str) or not challenge:
                    raise BadRequest("url_verification without a challenge", code="validation_error")
                return WebhookAnswer(body={"challenge": challenge})
            case "event_callback":
                return await self._callback(headers, envelope)
        WEBHOOKS.labels("slack", str(envelope.get("type")), "ignored").inc()
        log.info("slack.webhook_ignored", type=envelope.get("type"))
        return WebhookAnswer()

    async def _callback(self, headers: HeaderMap, envelope: dict[str, Any]) -> WebhookAnswer:
        slack_event_id = envelope.get("event_id")
        if not isinstance(slack_event_id, str) or not isinstance(envelope.get("event"), dict):
            raise BadRequest("event_callback without event or event_id", code="validation_error")
        kind = str(envelope["event"].get("type"))
        if headers.get(HEADER_RETRY_NUM):
            log.info(
                "slack.retry_received", event_id=slack_event_id, retry=headers.get(HEADER_RETRY_NUM),
                reason=headers.get(HEADER_RETRY_REASON),
            )  # fmt: skip
        try:
            event = normalise.callback_event(envelope, await self.api.identity())
        except (KeyError, TypeError, ValueError) as exc:
            log.error("slack.event_unreadable", type=kind, error=str(exc)[:300])
            raise BadRequest("event is not readable", code="validation_error") from None
        outcome = await self._store(event)
        WEBHOOKS.labels("slack", kind, outcome).inc()
        return WebhookAnswer()

    async def command(self, headers: HeaderMap, body: bytes) -> WebhookAnswer:
        """`POST /slack/webhooks/commands` (form-encoded slash command)."""
        self._verify(headers, body)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("ssl_check") == "1":
            # Slack's periodic certificate check of a slash command URL: signed, no command.
            WEBHOOKS.labels("slack", "ssl_check", "ignored").inc()
            return WebhookAnswer()
        try:
            event = normalise.slash_command(form)
        except (KeyError, ValueError) as exc:
            raise BadRequest("slash command is not readable", code="validation_error") from exc
        WEBHOOKS.labels("slack", "slash_command", await self._store(event)).inc()
        return WebhookAnswer()

    async def interactivity(self, headers: HeaderMap, body: bytes) -> WebhookAnswer:
        """`POST /slack/webhooks/interactivity` (form field `payload`, JSON)."""
        self._verify(headers, body)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        payload = json_object(form.get("payload", "").encode(), "body")
        try:
            event = normalise.interaction(payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRequest("interaction is not readable", code="validation_error") from exc
        WEBHOOKS.labels("slack", "interaction", await self._store(event)).inc()
        return WebhookAnswer()

    async def _store(self, event: Event | None) -> str:
        """Store the event keyed by its event id, in one atomic step; the outcome.

        A Slack retry, and the `message` + `app_mention` pair of one mention, normalise to
        the same event id, so the copy is acknowledged without being stored again.
        """
        if event is None:
            return "ignored"
        stored = await self.outbox.put(
            event.model_dump(mode="json"), key=event.event_id, key_ttl=self.settings.slack_dedupe_ttl
        )
        if stored is None:
            log.info("slack.duplicate", event_id=event.event_id)
            return "duplicate"
        return "stored"
