"""HS256 tokens with the standard library: what joserfc (the reference) makes, we read, and back."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import OctKey

from flask_core import tokens
from flask_core.auth import mint_user_token, verify_service_token, verify_user_token
from flask_core.errors import Unauthorized
from flask_core.settings import parse_duration
from flask_core.tokens import mint_service_token

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def test_a_minted_token_verifies_for_its_audience_only() -> None:
    token = mint_service_token(SECRET, "cli", "router", ttl=30)
    claims = verify_service_token(token, SECRET, "router")
    assert claims["iss"] == "cli" and claims["aud"] == "router"
    assert claims["exp"] - claims["iat"] == 30
    with pytest.raises(Unauthorized):
        verify_service_token(token, SECRET, "memories")
    with pytest.raises(Unauthorized):
        verify_service_token(token, SECRET + "x", "router")
    with pytest.raises(ValueError):
        mint_service_token(SECRET, "cli", "router", ttl=61)


def test_minting_loads_neither_joserfc_nor_quart() -> None:
    code = "import sys, flask_core.tokens as t; t.mint_service_token('s' * 40, 'cli', 'router'); " + (
        "print(sorted(m for m in ('joserfc', 'quart', 'cryptography') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forged(header: Any, claims: Any, secret: str = SECRET, signature: str | None = None) -> str:
    """A token with any header and payload, signed as HS256 over exactly those bytes."""
    head, body = _b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())
    if signature is None:
        signature = _b64(tokens._sign(secret, f"{head}.{body}"))
    return f"{head}.{body}.{signature}"


def test_joserfc_reads_our_tokens_and_we_read_joserfcs() -> None:
    key = OctKey.import_key(SECRET)
    ours = mint_user_token(SECRET, "u1", communities={7: "moderator"})
    decoded = jwt.decode(ours, key, algorithms=["HS256"])
    assert decoded.header["alg"] == "HS256" and decoded.claims["communities"] == {"7": "moderator"}
    now = int(time.time())
    theirs = jwt.encode({"alg": "HS256"}, {"iss": "router", "aud": "ai", "iat": now, "exp": now + 30}, key)
    assert verify_service_token(theirs, SECRET, "ai")["iss"] == "router"
    with pytest.raises(BadSignatureError):  # and a secret of ours is not theirs either
        jwt.decode(mint_service_token(SECRET + "x", "cli", "router"), key, algorithms=["HS256"])


def _why(token: str) -> str:
    with pytest.raises(tokens.TokenError) as info:
        tokens.decode(token, SECRET)
    return info.value.reason


def test_decode_refuses_what_is_not_an_hs256_token_of_ours() -> None:
    now = int(time.time())
    claims = {"iss": "router", "aud": "ai", "iat": now, "exp": now + 30}
    good = _forged({"alg": "HS256"}, claims)
    assert tokens.decode(good, SECRET) == claims
    head, body, sig = good.split(".")
    assert _why(f"{head}.{body}") == "malformed"  # two segments
    assert _why(f"{head}.{body}.{sig}.x") == "malformed"
    assert _why(f"{head}.{body}.{sig}=") == "malformed"  # padding is not base64url here
    assert _why(f"{head}.{body}.{sig[:-2]}+/") == "malformed"  # nor is the standard alphabet
    assert _why(f"{head}.{body}.{sig}é") == "malformed"
    assert _why(_forged(["HS256"], claims)) == "malformed"  # a header that is not an object
    assert _why(_forged({"alg": "HS256"}, ["iss"])) == "malformed"  # nor a payload
    assert _why(f"{_b64(b'{not json')}.{body}.{sig}") == "malformed"
    assert _why(_forged({"alg": "HS256", "crit": ["exp"]}, claims)) == "malformed"
    for alg in ("none", "HS512", "RS256", "hs256", None):
        assert _why(_forged({"alg": alg}, claims)) == "algorithm"
    assert _why(_forged({"alg": "none"}, claims, signature="")) == "algorithm"
    tampered = _b64(json.dumps({**claims, "aud": "router"}).encode())
    assert _why(f"{head}.{tampered}.{sig}") == "bad_signature"
    assert _why(_forged({"alg": "HS256"}, claims, secret=SECRET + "x")) == "bad_signature"
    assert _why(f"{head}.{body}.") == "bad_signature"  # an empty signature


def test_claims_not_yet_valid_or_present_but_empty_are_refused() -> None:
    now = int(time.time())
    base = {"iss": "router", "aud": "ai", "iat": now, "exp": now + 30}
    later = _forged({"alg": "HS256"}, {**base, "nbf": now + 600})
    with pytest.raises(Unauthorized, match="not valid yet"):
        verify_service_token(later, SECRET, "ai")
    assert verify_service_token(_forged({"alg": "HS256"}, {**base, "nbf": now - 1}), SECRET, "ai")
    with pytest.raises(Unauthorized, match="missing or bad nbf"):
        verify_service_token(_forged({"alg": "HS256"}, {**base, "nbf": None}), SECRET, "ai")
    with pytest.raises(Unauthorized, match="missing or bad iss"):
        verify_service_token(_forged({"alg": "HS256"}, {**base, "iss": 7}), SECRET, "ai")
    user = {"sub": "u1", "typ": "access", "iat": now, "exp": now + 60}
    assert verify_user_token(_forged({"alg": "HS256"}, user), SECRET)["sub"] == "u1"
    with pytest.raises(Unauthorized, match="access token required"):
        verify_user_token(_forged({"alg": "HS256"}, {**user, "typ": "refresh"}), SECRET)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5.0), ("500ms", 0.5), ("2m", 120.0), ("1h", 3600.0), ("0", 0.0), ("7.5", 7.5), (3, 3.0)],
    ids=str,
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["-1s", "soon", "", "inf"], ids=repr)
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
