"""Minting service tokens with the standard library only (HS256 JWT).

`flask_core.auth` re-exports `mint_service_token` and verifies tokens with joserfc;
minting lives here so the chat CLI can sign its calls without loading joserfc,
cryptography or the web stack (it starts in well under a second).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping

ALGORITHM = "HS256"
MAX_SERVICE_TTL = 60
_HEADER = {"alg": ALGORITHM, "typ": "JWT"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _segment(value: Mapping[str, object]) -> str:
    return _b64(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def mint_service_token(secret: str, issuer: str, audience: str, ttl: int = MAX_SERVICE_TTL) -> str:
    """A service token from `issuer` to `audience`, valid for `ttl` (1..60) seconds."""
    if not 0 < ttl <= MAX_SERVICE_TTL:
        raise ValueError(f"service token ttl must be 1..{MAX_SERVICE_TTL} seconds")
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex,
    }  # fmt: skip
    signing_input = f"{_segment(_HEADER)}.{_segment(claims)}"
    signature = hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
