"""Service tokens minted without joserfc are the tokens `require_service` accepts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flask_core.auth import verify_service_token
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
