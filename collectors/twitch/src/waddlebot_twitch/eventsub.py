"""EventSub webhook verification: headers, HMAC-SHA256 signature and replay window.

Twitch signs `message_id + timestamp + raw_body` with the subscription secret and
sends `sha256=<hex>`; the signature is checked on the raw bytes, before any parsing,
in constant time. Notifications older than the replay window (10 minutes) are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime

from flask_core.collector import HeaderMap
from flask_core.errors import Forbidden
from flask_core.logging import get_logger
from flask_core.metrics import counter

log = get_logger(__name__)
REFUSED = counter("waddlebot_twitch_webhook_refused_total", "EventSub webhooks refused", ("reason",))

HEADER_ID = "Twitch-Eventsub-Message-Id"
HEADER_RETRY = "Twitch-Eventsub-Message-Retry"
HEADER_TYPE = "Twitch-Eventsub-Message-Type"
HEADER_SIGNATURE = "Twitch-Eventsub-Message-Signature"
HEADER_TIMESTAMP = "Twitch-Eventsub-Message-Timestamp"
HEADER_SUBSCRIPTION_TYPE = "Twitch-Eventsub-Subscription-Type"
HEADER_SUBSCRIPTION_VERSION = "Twitch-Eventsub-Subscription-Version"

NOTIFICATION = "notification"
VERIFICATION = "webhook_callback_verification"
REVOCATION = "revocation"


@dataclass(slots=True, frozen=True)
class EventSubHeaders:
    message_id: str
    message_type: str
    signature: str
    timestamp: str
    subscription_type: str
    subscription_version: str
    retry: str

    @classmethod
    def parse(cls, headers: HeaderMap) -> EventSubHeaders:
        """Read the headers (the mapping must be case-insensitive, as Quart's is)."""
        return cls(
            message_id=headers.get(HEADER_ID, ""),
            message_type=headers.get(HEADER_TYPE, "").lower(),
            signature=headers.get(HEADER_SIGNATURE, ""),
            timestamp=headers.get(HEADER_TIMESTAMP, ""),
            subscription_type=headers.get(HEADER_SUBSCRIPTION_TYPE, ""),
            subscription_version=headers.get(HEADER_SUBSCRIPTION_VERSION, ""),
            retry=headers.get(HEADER_RETRY, "0"),
        )


def sign(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """The `sha256=<hex>` signature Twitch sends for this message."""
    message = message_id.encode() + timestamp.encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    message_id: str,
    timestamp: str,
    body: bytes,
    *,
    message_type: str = NOTIFICATION,
    subscription_type: str = "channel.chat.message",
    subscription_version: str = "1",
) -> dict[str, str]:
    """The headers Twitch sends with a webhook request (tests, fault drills, load tools)."""
    return {
        "Content-Type": "application/json",
        HEADER_ID: message_id,
        HEADER_RETRY: "0",
        HEADER_TYPE: message_type,
        HEADER_SIGNATURE: sign(secret, message_id, timestamp, body),
        HEADER_TIMESTAMP: timestamp,
        HEADER_SUBSCRIPTION_TYPE: subscription_type,
        HEADER_SUBSCRIPTION_VERSION: subscription_version,
    }


def refuse(reason: str, message: str) -> Forbidden:
    REFUSED.labels("twitch", reason).inc()
    log.warning("twitch.webhook_refused", reason=reason)
    return Forbidden(message, details={"reason": reason})


def verify_signature(secret: str, headers: EventSubHeaders, body: bytes) -> None:
    """Raise 403 unless the signature matches the raw body (constant-time compare)."""
    if not (headers.message_id and headers.timestamp and headers.signature):
        raise refuse("missing_signature", "EventSub signature headers are missing")
    expected = sign(secret, headers.message_id, headers.timestamp, body)
    if not hmac.compare_digest(expected.encode(), headers.signature.strip().encode()):
        raise refuse("bad_signature", "EventSub signature does not match")


def check_timestamp(timestamp: str, window: float, now: float | None = None) -> datetime:
    """The message time, or 403 when it is older (or further ahead) than `window` seconds."""
    try:
        when = datetime.fromisoformat(timestamp)
    except ValueError:
        raise refuse("bad_timestamp", "EventSub timestamp is not RFC 3339") from None
    if when.tzinfo is None:
        raise refuse("bad_timestamp", "EventSub timestamp has no time zone")
    age = (time.time() if now is None else now) - when.timestamp()
    if abs(age) > window:
        raise refuse("stale_timestamp", "EventSub message is outside the replay window")
    return when
