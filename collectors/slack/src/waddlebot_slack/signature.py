"""Slack request signing (v0): HMAC-SHA256 over `v0:{timestamp}:{raw_body}`.

Checked on the raw bytes before anything is parsed, compared in constant time; a
timestamp more than `window` seconds from now is refused (replays). Failures are 401.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask_core.collector import HeaderMap
from flask_core.errors import Unauthorized
from flask_core.logging import get_logger
from flask_core.metrics import counter

log = get_logger(__name__)
REFUSED = counter("waddlebot_slack_webhook_refused_total", "Slack requests refused", ("reason",))

HEADER_SIGNATURE = "X-Slack-Signature"
HEADER_TIMESTAMP = "X-Slack-Request-Timestamp"
HEADER_RETRY_NUM = "X-Slack-Retry-Num"
HEADER_RETRY_REASON = "X-Slack-Retry-Reason"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `v0=<hex>` signature Slack sends for this body."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _refuse(reason: str, message: str) -> Unauthorized:
    REFUSED.labels("slack", reason).inc()
    log.warning("slack.webhook_refused", reason=reason)
    return Unauthorized(message, details={"reason": reason})


def verify(secret: str, headers: HeaderMap, body: bytes, window: float, now: float | None = None) -> None:
    """Raise 401 unless the request is signed with `secret` and recent."""
    signature = headers.get(HEADER_SIGNATURE, "")
    timestamp = headers.get(HEADER_TIMESTAMP, "")
    if not (secret and signature and timestamp):
        raise _refuse("missing_signature", "Slack signature headers are missing")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise _refuse("bad_signature", "Slack signature does not match")
    try:
        sent = int(timestamp)
    except ValueError:
        raise _refuse("bad_timestamp", "Slack timestamp is not a number") from None
    if abs((time.time() if now is None else now) - sent) > window:
        raise _refuse("stale_timestamp", "Slack request is outside the replay window")
