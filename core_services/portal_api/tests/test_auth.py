"""Sign-in, sessions, CSRF and throttling through real HTTP (cookies as a browser keeps them)."""

from __future__ import annotations

from typing import Any

import pytest

PASSWORD = "correct horse battery"  # the conftest's accounts


@pytest.fixture(params=["fleet"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    """Real PostgreSQL and Redis: the throttle is flask_core.ratelimit on Redis."""
    return {
        "database_url": request.getfixturevalue("postgres_url"),
        "redis_url": request.getfixturevalue("redis_url"),
    }


async def test_sign_in_me_and_logout(portal_fleet: Any) -> None:
    community = await portal_fleet.community()
    await portal_fleet.user("Mod@Example.com", roles={community: "moderator"})
    browser = portal_fleet.browser()
    assert (await browser.get("/me")).status_code == 401
    signed = await browser.login("mod@example.com")
    assert signed.status_code == 200, signed.text
    cookies = {c.name: c for c in browser.http.cookies.jar}
    access = cookies["wb_access"]
    assert access.has_nonstandard_attr("HttpOnly") and access.path == "/portal"
    assert not cookies["csrf_token"].has_nonstandard_attr("HttpOnly")
    assert "samesite=lax" in signed.headers.get_list("set-cookie")[0].lower()
    me = (await browser.get("/me")).json()
    assert me["user"]["email"] == "mod@example.com" and me["user"]["admin"] is False
    [mine] = me["communities"]
    assert mine["id"] == community and mine["role"] == "moderator"
    assert "quotes:manage" in mine["capabilities"] and "commands:manage" not in mine["capabilities"]
    assert mine["platforms"][0].startswith("twitch:")
    old_access = access.value
    out = await browser.send("POST", "/auth/logout")
    assert out.status_code == 200 and out.json() == {"logged_out": True}
    assert (await browser.get("/me")).status_code == 401
    # the access token of the ended session is refused even when replayed
    replay = await browser.http.get("/portal/api/v1/me", headers={"Authorization": f"Bearer {old_access}"})
    assert replay.status_code == 401 and replay.json()["error"]["details"]["reason"] == "revoked"


async def test_wrong_password_and_unknown_account_are_the_same_401(portal_fleet: Any) -> None:
    await portal_fleet.user("amy@example.com")
    browser = portal_fleet.browser()
    wrong = await browser.login("amy@example.com", "not the password")
    unknown = await browser.login("nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
    assert "wb_access" not in browser.http.cookies
    bad = await browser.http.post("/portal/api/v1/auth/login", json={"email": "amy@example.com"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


async def test_failed_sign_ins_are_throttled_per_account_and_per_address(
    make_settings: Any, common: Any, portal_fleet: Any
) -> None:
    settings = portal_fleet.portal.extensions["waddlebot.settings"]
    await portal_fleet.user("bob@example.com")
    browser = portal_fleet.browser()
    for _ in range(settings.portal_login_max_failures):
        assert (await browser.login("bob@example.com", "wrong password")).status_code == 401
    blocked = await browser.login("bob@example.com")  # even the right password, for now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert blocked.json()["error"]["code"] == "rate_limited"
    # another account from the same address still signs in, until the address is used up
    await portal_fleet.user("carol@example.com")
    assert (await browser.login("carol@example.com")).status_code == 200
    per_address = settings.portal_login_max_failures_per_address - settings.portal_login_max_failures
    for i in range(per_address):
        assert (await browser.login(f"x{i}@example.com", "nope nope")).status_code == 401
    assert (await browser.login("carol@example.com")).status_code == 429


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(portal_fleet: Any) -> None:
    await portal_fleet.user("dee@example.com")
    browser = portal_fleet.browser()
    assert (await browser.login("dee@example.com")).status_code == 200
    first = browser.http.cookies.get("wb_refresh", path="/portal/api/v1/auth")
    rotated = await browser.send("POST", "/auth/refresh")
    assert rotated.status_code == 200, rotated.text
    second = browser.http.cookies.get("wb_refresh", path="/portal/api/v1/auth")
    assert second and second != first
    assert (await browser.get("/me")).status_code == 200
    # a thief replays the first (used) refresh token: the whole family is revoked
    thief = portal_fleet.browser()
    thief.http.cookies.set("wb_refresh", first, path="/portal/api/v1/auth")
    thief.http.cookies.set("csrf_token", "t0ken")
    stolen = await thief.http.post("/portal/api/v1/auth/refresh", headers={"X-CSRF-Token": "t0ken"})
    assert stolen.status_code == 401 and stolen.json()["error"]["details"]["reason"] == "reused"
    # ... including the legitimate holder's current tokens
    assert (await browser.get("/me")).status_code == 401
    assert (await browser.send("POST", "/auth/refresh")).status_code == 401


async def test_unsafe_methods_need_the_csrf_double_submit(portal_fleet: Any) -> None:
    community = await portal_fleet.community()
    await portal_fleet.user("eve@example.com", roles={community: "broadcaster"})
    browser = portal_fleet.browser()
    assert (await browser.login("eve@example.com")).status_code == 200
    body = {"text": "csrf test"}
    missing = await browser.send("POST", f"/communities/{community}/quotes", body, csrf=False)
    assert missing.status_code == 403 and missing.json()["error"]["details"]["reason"] == "csrf"
    wrong = await browser.http.post(
        f"/portal/api/v1/communities/{community}/quotes", json=body, headers={"X-CSRF-Token": "forged"}
    )
    assert wrong.status_code == 403
    assert (await browser.send("POST", "/auth/logout", csrf=False)).status_code == 403
    assert (await browser.send("POST", f"/communities/{community}/quotes", body)).status_code == 201
    # reads need no token
    assert (await browser.get(f"/communities/{community}/quotes")).status_code == 200
