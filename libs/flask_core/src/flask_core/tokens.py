"""HS256 JWTs with the standard library only: minting and checking the signature.

Every WaddleBot token (service tokens, portal access tokens) is an HS256 JWT (RFC 7519
over RFC 7515's compact form). `encode` signs, `decode` checks the header and signature
and returns the claims; `flask_core.auth` checks the claims. Decision 0088: a general
JOSE library (joserfc) loads `cryptography` and its own OpenSSL, about 10 MB in every
process, for one algorithm the standard library has; the chat CLI also mints here
without loading the web stack (it starts in well under a second).

    decode(token, secret) -> claims   raises TokenError(reason): `malformed` (not three
        base64url segments of a JSON object header and payload, or a `crit` header),
        `algorithm` (the header's `alg` is not exactly HS256: `none`, HS512, RS256 …
        are refused before any signature is looked at), `bad_signature`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

ALGORITHM = "HS256"
MAX_SERVICE_TTL = 60
_HEADER = {"alg": ALGORITHM, "typ": "JWT"}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class TokenError(ValueError):
    """A token refused before its claims were read; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(segment: str) -> bytes:
    """Strict base64url without padding (RFC 7515 §2): other characters are refused."""
    if not _BASE64URL.fullmatch(segment):
        raise TokenError("malformed")
    try:
        return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise TokenError("malformed") from None


def _segment(value: Mapping[str, object]) -> str:
    return _b64(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def _sign(secret: str, signing_input: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()


def encode(secret: str, claims: Mapping[str, object]) -> str:
    """An HS256 JWT of `claims`, signed with `secret`."""
    signing_input = f"{_segment(_HEADER)}.{_segment(claims)}"
    return f"{signing_input}.{_b64(_sign(secret, signing_input))}"


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_unb64(segment))
    except (ValueError, UnicodeError):  # JSONDecodeError is a ValueError
        raise TokenError("malformed") from None
    if not isinstance(value, dict):
        raise TokenError("malformed")
    return value


def decode(token: str, secret: str) -> dict[str, Any]:
    """The claims of an HS256 JWT signed with `secret` (not yet checked), or TokenError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed")
    header = _json_object(parts[0])
    if header.get("alg") != ALGORITHM:
        raise TokenError("algorithm")
    if "crit" in header:  # RFC 7515 §4.1.11: extensions we do not understand
        raise TokenError("malformed")
    signature = _unb64(parts[2])
    if not hmac.compare_digest(signature, _sign(secret, f"{parts[0]}.{parts[1]}")):
        raise TokenError("bad_signature")
    return _json_object(parts[1])


def mint_service_token(secret: str, issuer: str, audience: str, ttl: int = MAX_SERVICE_TTL) -> str:
    """A service token from `issuer` to `audience`, valid for `ttl` (1..60) seconds."""
    if not 0 < ttl <= MAX_SERVICE_TTL:
        raise ValueError(f"service token ttl must be 1..{MAX_SERVICE_TTL} seconds")
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex,
    }  # fmt: skip
    return encode(secret, claims)
