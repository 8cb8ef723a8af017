"""Service tokens, portal tokens, roles and the Quart decorators."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from quart import Quart, jsonify

from flask_core.auth import (
    TokenCache,
    current_service,
    current_user,
    mint_service_token,
    mint_user_token,
    require_service,
    require_user,
    verify_service_token,
    verify_user_token,
)
from flask_core.errors import ServiceError, Unauthorized
from flask_core.events import ROLE_ORDER, highest_role, role_at_least
from flask_core.testing import TEST_PORTAL_SECRET, TEST_SECRET

OTHER_SECRET = "another-secret-0123456789abcdef0123456789abcdef"


def _raw(claims: dict[str, Any], secret: str = TEST_SECRET, alg: str = "HS256") -> str:
    key = OctKey.import_key(secret)
    return jwt.encode({"alg": alg}, claims, key, algorithms=[alg])


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- minting and verifying ---------------------------------------------------------------


def test_service_token_round_trip() -> None:
    token = mint_service_token(TEST_SECRET, "router", "memories")
    claims = verify_service_token(token, TEST_SECRET, "memories")
    assert claims["iss"] == "router"
    assert claims["aud"] == "memories"
    assert 0 < claims["exp"] - claims["iat"] <= 60
    assert abs(claims["iat"] - time.time()) < 5


def test_service_token_ttl_is_capped() -> None:
    with pytest.raises(ValueError):
        mint_service_token(TEST_SECRET, "router", "memories", ttl=61)
    with pytest.raises(ValueError):
        mint_service_token(TEST_SECRET, "router", "memories", ttl=0)


def _reason(token: str, secret: str = TEST_SECRET, audience: str = "memories") -> str:
    with pytest.raises(Unauthorized) as info:
        verify_service_token(token, secret, audience)
    assert info.value.status == 401
    return info.value.message


def test_service_token_refusals_say_why() -> None:
    now = int(time.time())
    good = mint_service_token(TEST_SECRET, "router", "memories")
    assert _reason(good, audience="inventory") == "invalid service token: wrong audience"
    assert _reason(good, secret=OTHER_SECRET) == "invalid service token: bad signature"
    assert _reason("") == "missing service token"
    assert _reason("not-a-token") == "invalid service token: malformed"
    assert _reason("a.b.c") == "invalid service token: malformed"
    expired = _raw({"iss": "router", "aud": "memories", "iat": now - 120, "exp": now - 60})
    assert _reason(expired) == "invalid service token: expired"
    long_lived = _raw({"iss": "router", "aud": "memories", "iat": now, "exp": now + 3600})
    assert _reason(long_lived) == "invalid service token: lifetime too long"
    future = _raw({"iss": "router", "aud": "memories", "iat": now + 600, "exp": now + 630})
    assert _reason(future) == "invalid service token: issued in the future"
    no_iss = _raw({"aud": "memories", "iat": now, "exp": now + 30})
    assert "iss" in _reason(no_iss)
    no_exp = _raw({"iss": "router", "aud": "memories", "iat": now})
    assert "exp" in _reason(no_exp)


def test_service_token_refuses_other_algorithms() -> None:
    now = int(time.time())
    claims = {"iss": "router", "aud": "memories", "iat": now, "exp": now + 30}
    hs512 = _raw(claims, secret=TEST_SECRET * 2, alg="HS512")
    assert _reason(hs512, secret=TEST_SECRET * 2) == "invalid service token: algorithm not allowed"
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert _reason(unsigned) == "invalid service token: algorithm not allowed"


def test_service_token_leeway() -> None:
    now = int(time.time())
    just_expired = _raw({"iss": "router", "aud": "memories", "iat": now - 60, "exp": now - 2})
    assert verify_service_token(just_expired, TEST_SECRET, "memories")["iss"] == "router"
    with pytest.raises(Unauthorized):
        verify_service_token(just_expired, TEST_SECRET, "memories", leeway=0)


def test_a_verified_service_token_is_remembered_only_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = int(time.time())
    token = _raw({"iss": "router", "aud": "memories", "iat": now, "exp": now + 30})
    assert verify_service_token(token, TEST_SECRET, "memories")["iss"] == "router"
    again = verify_service_token(token, TEST_SECRET, "memories")
    again["iss"] = "changed by a caller"
    assert verify_service_token(token, TEST_SECRET, "memories")["iss"] == "router"  # a copy each time
    # Remembered for this secret and audience only: every other pairing is checked again.
    assert _reason(token, secret=OTHER_SECRET) == "invalid service token: bad signature"
    assert _reason(token, audience="inventory") == "invalid service token: wrong audience"
    later = now + 30 + 10 + 1  # past exp and the default leeway
    monkeypatch.setattr(time, "time", lambda: float(later))
    assert _reason(token) == "invalid service token: expired"


def test_token_cache_reuses_per_pair_and_expires() -> None:
    cache = TokenCache()
    first = cache.get(TEST_SECRET, "router", "memories")
    assert cache.get(TEST_SECRET, "router", "memories") == first
    assert cache.get(TEST_SECRET, "router", "inventory") != first
    assert cache.get(TEST_SECRET, "cli", "memories") != first
    assert cache.get(OTHER_SECRET, "router", "memories") != first  # a new secret re-mints

    now = [1000.0]
    timed = TokenCache(max_age=60, clock=lambda: now[0])
    assert timed.max_age == 30  # never more than 30 s
    token = timed.get(TEST_SECRET, "router", "memories")
    now[0] += 29.9
    assert timed.get(TEST_SECRET, "router", "memories") == token
    now[0] += 0.2
    renewed = timed.get(TEST_SECRET, "router", "memories")
    assert renewed != token
    assert verify_service_token(renewed, TEST_SECRET, "memories")["iss"] == "router"


def test_user_token_round_trip_and_type() -> None:
    token = mint_user_token(TEST_PORTAL_SECRET, "u1", communities={7: "moderator"})
    claims = verify_user_token(token, TEST_PORTAL_SECRET)
    assert claims["sub"] == "u1"
    assert claims["communities"] == {"7": "moderator"}
    assert claims["admin"] is False
    refresh = mint_user_token(TEST_PORTAL_SECRET, "u1", typ="refresh")
    with pytest.raises(Unauthorized, match="access token required"):
        verify_user_token(refresh, TEST_PORTAL_SECRET)
    assert verify_user_token(refresh, TEST_PORTAL_SECRET, typ="refresh")["typ"] == "refresh"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"admin": "yes"}, "invalid user token: missing or bad admin"),
        ({"communities": {"7": 3}}, "invalid user token: missing or bad communities"),
        ({"communities": ["7"]}, "invalid user token: missing or bad communities"),
        ({"sub": ""}, "invalid user token: missing or bad sub"),
        ({"typ": None}, "invalid user token: access token required"),
        ({"exp": float("nan")}, "invalid user token: missing or bad exp"),
        ({"iat": True}, "invalid user token: missing or bad iat"),
    ],
    ids=[
        "admin-not-bool",
        "role-not-str",
        "communities-not-map",
        "blank-sub",
        "no-typ",
        "nan-exp",
        "bool-iat",
    ],
)
def test_user_token_claims_are_checked_by_type(claims: dict[str, Any], reason: str) -> None:
    now = int(time.time())
    base = {"sub": "u1", "admin": False, "communities": {}, "typ": "access", "iat": now, "exp": now + 60}
    token = _raw({**base, **claims}, secret=TEST_PORTAL_SECRET)
    with pytest.raises(Unauthorized) as info:
        verify_user_token(token, TEST_PORTAL_SECRET)
    assert info.value.message == reason


def test_service_token_audience_may_be_a_list() -> None:
    now = int(time.time())
    token = _raw({"iss": "router", "aud": ["ai", "memories"], "iat": now, "exp": now + 30})
    assert verify_service_token(token, TEST_SECRET, "memories")["iss"] == "router"
    assert _reason(token, audience="labels") == "invalid service token: wrong audience"


def test_roles() -> None:
    assert ROLE_ORDER[0] == "everyone" and ROLE_ORDER[-1] == "admin"
    assert role_at_least("moderator", "vip")
    assert role_at_least("moderator", "moderator")
    assert not role_at_least("subscriber", "vip")
    assert role_at_least("admin", "broadcaster")
    assert not role_at_least("founder", "everyone")  # unknown ranks lowest
    assert not role_at_least(None, "everyone")
    with pytest.raises(ValueError):
        role_at_least("moderator", "mod")
    assert highest_role(["subscriber", "vip", "founder"]) == "vip"
    assert highest_role([]) == "everyone"
    with pytest.raises(ValueError):
        require_user(min_role="superuser")


# --- decorators through a tiny Quart app ---------------------------------------------------


@pytest.fixture
def app() -> Quart:
    app = Quart(__name__)
    app.config["WADDLEBOT_INTERNAL_SECRET"] = TEST_SECRET
    app.config["WADDLEBOT_PORTAL_SECRET"] = TEST_PORTAL_SECRET
    app.config["WADDLEBOT_PREFIX"] = "memories"

    @app.errorhandler(ServiceError)
    async def _error(exc: ServiceError) -> Any:
        return jsonify(exc.body(None)), exc.status

    @app.get("/memories/api/v1/ping")
    @require_service
    async def ping() -> Any:
        return {"caller": current_service()}

    @app.get("/portal/api/v1/me")
    @require_user()
    async def me() -> Any:
        user = current_user()
        assert user is not None
        return {"sub": user.sub, "admin": user.admin}

    @app.get("/portal/api/v1/communities/<community_id>/settings")
    @require_user(min_role="moderator")
    async def community_settings(community_id: str) -> Any:
        return {"community_id": community_id}

    @app.get("/portal/api/v1/communities/<int:community_id>/owner")
    @require_user(roles=("broadcaster",))
    async def owner_page(community_id: int) -> Any:
        return {"community_id": community_id}

    return app


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _refused(app: Quart, path: str, headers: dict[str, str], status: int = 401) -> str:
    response = await app.test_client().get(path, headers=headers)
    assert response.status_code == status
    body = await response.get_json()
    assert body["error"]["code"] == ("unauthorized" if status == 401 else "forbidden")
    message: str = body["error"]["message"]
    return message


async def test_require_service_accepts_a_valid_token(app: Quart) -> None:
    token = mint_service_token(TEST_SECRET, "router", "memories")
    response = await app.test_client().get("/memories/api/v1/ping", headers=_bearer(token))
    assert response.status_code == 200
    assert await response.get_json() == {"caller": "router"}


async def test_require_service_refusals(app: Quart) -> None:
    path = "/memories/api/v1/ping"
    now = int(time.time())
    wrong_aud = mint_service_token(TEST_SECRET, "router", "inventory")
    assert "wrong audience" in await _refused(app, path, _bearer(wrong_aud))
    expired = _raw({"iss": "router", "aud": "memories", "iat": now - 120, "exp": now - 60})
    assert "expired" in await _refused(app, path, _bearer(expired))
    forged = mint_service_token(OTHER_SECRET, "router", "memories")
    assert "bad signature" in await _refused(app, path, _bearer(forged))
    assert "malformed" in await _refused(app, path, _bearer("garbage.garbage.garbage"))
    assert "missing" in await _refused(app, path, {})
    good = mint_service_token(TEST_SECRET, "router", "memories")
    assert "missing" in await _refused(app, path, {"Authorization": f"Basic {good}"})
    portal = mint_user_token(TEST_PORTAL_SECRET, "u1", admin=True)
    assert "bad signature" in await _refused(app, path, _bearer(portal))


async def test_require_user_token_checks(app: Quart) -> None:
    access = mint_user_token(TEST_PORTAL_SECRET, "u1")
    response = await app.test_client().get("/portal/api/v1/me", headers=_bearer(access))
    assert response.status_code == 200
    assert await response.get_json() == {"sub": "u1", "admin": False}

    refresh = mint_user_token(TEST_PORTAL_SECRET, "u1", typ="refresh")
    assert "access token required" in await _refused(app, "/portal/api/v1/me", _bearer(refresh))
    assert "missing" in await _refused(app, "/portal/api/v1/me", {})
    service = mint_service_token(TEST_SECRET, "portal", "memories")
    assert "bad signature" in await _refused(app, "/portal/api/v1/me", _bearer(service))
    expired = mint_user_token(TEST_PORTAL_SECRET, "u1", ttl=-60)
    assert "expired" in await _refused(app, "/portal/api/v1/me", _bearer(expired))


async def test_require_user_roles_per_community(app: Quart) -> None:
    client = app.test_client()
    moderator_a = mint_user_token(TEST_PORTAL_SECRET, "mod", communities={"A": "moderator"})
    ok = await client.get("/portal/api/v1/communities/A/settings", headers=_bearer(moderator_a))
    assert ok.status_code == 200
    assert await ok.get_json() == {"community_id": "A"}
    await _refused(app, "/portal/api/v1/communities/B/settings", _bearer(moderator_a), 403)

    vip_a = mint_user_token(TEST_PORTAL_SECRET, "vip", communities={"A": "vip"})
    await _refused(app, "/portal/api/v1/communities/A/settings", _bearer(vip_a), 403)

    broadcaster = mint_user_token(TEST_PORTAL_SECRET, "b", communities={"A": "broadcaster"})
    high = await client.get("/portal/api/v1/communities/A/settings", headers=_bearer(broadcaster))
    assert high.status_code == 200

    admin = mint_user_token(TEST_PORTAL_SECRET, "root", admin=True)
    passed = await client.get("/portal/api/v1/communities/B/settings", headers=_bearer(admin))
    assert passed.status_code == 200


async def test_require_user_exact_roles_and_int_ids(app: Quart) -> None:
    client = app.test_client()
    owner = mint_user_token(TEST_PORTAL_SECRET, "o", communities={12: "broadcaster"})
    response = await client.get("/portal/api/v1/communities/12/owner", headers=_bearer(owner))
    assert response.status_code == 200
    assert await response.get_json() == {"community_id": 12}
    moderator = mint_user_token(TEST_PORTAL_SECRET, "m", communities={12: "moderator"})
    await _refused(app, "/portal/api/v1/communities/12/owner", _bearer(moderator), 403)
    await _refused(app, "/portal/api/v1/communities/13/owner", _bearer(owner), 403)
