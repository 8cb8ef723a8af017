"""Discord interaction signatures: Ed25519 over `X-Signature-Timestamp + raw_body`.

The public key is the application's (DISCORD_PUBLIC_KEY, hex). Checked on the raw
bytes before anything is parsed; failures are 401 (Discord probes the endpoint with
bad signatures and removes endpoints that accept them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_core.collector import HeaderMap
from flask_core.errors import Unauthorized
from flask_core.logging import get_logger
from flask_core.metrics import counter

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = get_logger(__name__)
REFUSED = counter("waddlebot_discord_webhook_refused_total", "Discord interactions refused", ("reason",))

HEADER_SIGNATURE = "X-Signature-Ed25519"
HEADER_TIMESTAMP = "X-Signature-Timestamp"


def _refuse(reason: str, message: str) -> Unauthorized:
    REFUSED.labels("discord", reason).inc()
    log.warning("discord.webhook_refused", reason=reason)
    return Unauthorized(message, details={"reason": reason})


class Verifier:
    """Holds the public key; `verify` raises 401 unless the body is signed by it.

    The key's 32 bytes are checked at start-up; `cryptography` (≈ 6 MB resident) is loaded
    with the first interaction, so a collector that only uses the gateway never holds it.
    """

    def __init__(self, public_key_hex: str) -> None:
        try:
            raw: bytes | None = bytes.fromhex(public_key_hex.strip())
        except ValueError:
            raw = None
        if raw is None or len(raw) != 32:
            log.error("discord.public_key_invalid", hint="DISCORD_PUBLIC_KEY must be 64 hex characters")
            raw = None
        self._raw = raw
        self._key: Ed25519PublicKey | None = None

    def _public_key(self) -> Ed25519PublicKey | None:
        if self._key is None and self._raw is not None:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

            try:
                self._key = Ed25519PublicKey.from_public_bytes(self._raw)
            except ValueError:
                log.error("discord.public_key_invalid", hint="DISCORD_PUBLIC_KEY is not an Ed25519 key")
                self._raw = None
        return self._key

    def verify(self, headers: HeaderMap, body: bytes) -> None:
        signature = headers.get(HEADER_SIGNATURE, "")
        timestamp = headers.get(HEADER_TIMESTAMP, "")
        if not (signature and timestamp):
            raise _refuse("missing_signature", "Discord signature headers are missing")
        key = self._public_key()
        if key is None:
            raise _refuse("no_public_key", "DISCORD_PUBLIC_KEY is not a valid key")
        from cryptography.exceptions import InvalidSignature

        try:
            key.verify(bytes.fromhex(signature), timestamp.encode() + body)
        except (ValueError, InvalidSignature):
            raise _refuse("bad_signature", "Discord signature does not match") from None
