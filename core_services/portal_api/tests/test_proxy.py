"""The management screens through the portal: paging, writes with audit, missing services."""

from __future__ import annotations

from typing import Any

import pytest

from flask_core import service_table
from waddlebot_portal.screens import SCREENS


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    """One backend: the proxy stores nothing of its own beyond the audit (covered on both)."""
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


async def signed_in(portal_fleet: Any, role: str, email: str | None = None) -> tuple[Any, int]:
    community = await portal_fleet.community()
    email = email or f"{role}@example.com"
    await portal_fleet.user(email, roles={community: role})
    browser = portal_fleet.browser()
    assert (await browser.login(email)).status_code == 200
    return browser, community


async def test_commands_page_search_and_a_change_that_takes_effect(portal_fleet: Any) -> None:
    browser, c = await signed_in(portal_fleet, "broadcaster")
    first = (await browser.get(f"/communities/{c}/commands", params={"limit": 2})).json()
    assert len(first["items"]) == 2 and first["next_cursor"]  # the marketplace's opaque cursor
    second = (
        await browser.get(f"/communities/{c}/commands", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert second["items"][0]["path"] > first["items"][1]["path"]
    found = (await browser.get(f"/communities/{c}/commands", params={"q": "quote add"})).json()["items"]
    assert [i["path"] for i in found] == ["quote add"] and found[0]["role"] == "moderator"

    changed = await browser.send("PATCH", f"/communities/{c}/commands/quote/add", {"role": "vip", "cost": 0})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"community_id": c, "path": "quote add", "module": "memories", "role": "vip", "cost": 0,
                              "user_cooldown": None, "global_cooldown": None, "enabled": None,
                              "cooldown_message": None}  # fmt: skip
    line = {"text": "!quote add vips may now", "user": {"username": "vee", "role": "vip"}}
    assert (await browser.send("POST", f"/communities/{c}/simulate", line)).json()["status"] == "processed"
    [entry] = (await browser.get(f"/communities/{c}/audit", params={"resource": "commands"})).json()["items"]
    assert entry["action"] == "update" and entry["resource_id"] == "quote/add"
    assert entry["before"]["role"] == "moderator" and entry["after"]["role"] == "vip"
    bad = await browser.send("PATCH", f"/communities/{c}/commands/quote/add", {"role": "overlord"})
    assert bad.status_code == 422
    missing = await browser.send("PATCH", f"/communities/{c}/commands/no/such", {"role": "vip"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_a_moderator_reads_commands_but_only_the_broadcaster_changes_them(portal_fleet: Any) -> None:
    browser, c = await signed_in(portal_fleet, "moderator")
    assert (await browser.get(f"/communities/{c}/commands")).status_code == 200
    refused = await browser.send("PATCH", f"/communities/{c}/commands/quote", {"enabled": False})
    assert refused.status_code == 403 and refused.json()["error"]["details"]["reason"] == "role"


async def test_modules_are_listed_and_switched(portal_fleet: Any) -> None:
    browser, c = await signed_in(portal_fleet, "broadcaster")
    modules = {m["name"]: m for m in (await browser.get(f"/communities/{c}/modules")).json()["items"]}
    assert modules["memories"]["enabled"] and "quote" in modules["memories"]["commands"]
    off = await browser.send("PUT", f"/communities/{c}/modules/memories", {"enabled": False})
    assert off.json() == {
        "community_id": c,
        "module": "memories",
        "enabled": False,
        "settings": {},
        "disabled": [],
    }
    line = {"text": "!quote", "user": {"username": "amy"}}
    assert (await browser.send("POST", f"/communities/{c}/simulate", line)).json()["status"] == "ignored"
    [entry] = (await browser.get(f"/communities/{c}/audit", params={"resource": "modules"})).json()["items"]
    assert entry["before"]["enabled"] is True and entry["after"]["enabled"] is False


async def test_quotes_and_bookmarks_page_with_a_cursor(portal_fleet: Any) -> None:
    browser, c = await signed_in(portal_fleet, "moderator")
    for text in ("alpha one", "beta two", "gamma three"):
        assert (await browser.send("POST", f"/communities/{c}/quotes", {"text": text})).status_code == 201
    newest = (await browser.get(f"/communities/{c}/quotes", params={"limit": 2})).json()
    assert [q["number"] for q in newest["items"]] == [3, 2] and newest["next_cursor"]
    rest = (
        await browser.get(f"/communities/{c}/quotes", params={"limit": 2, "cursor": newest["next_cursor"]})
    ).json()
    assert [q["number"] for q in rest["items"]] == [1] and rest["next_cursor"] is None
    oldest = (await browser.get(f"/communities/{c}/quotes", params={"sort": "number", "q": "two"})).json()
    assert [q["text"] for q in oldest["items"]] == ["beta two"]
    assert (await browser.get(f"/communities/{c}/quotes/2")).json()["text"] == "beta two"
    assert (await browser.get(f"/communities/{c}/quotes/9")).status_code == 404

    for n in range(3):
        line = {
            "text": f"!bookmark add https://example.com/{n} Page {n}",
            "user": {"username": "m", "role": "moderator"},
        }
        assert (await browser.send("POST", f"/communities/{c}/simulate", line)).json()[
            "status"
        ] == "processed"
    page = (await browser.get(f"/communities/{c}/bookmarks", params={"limit": 2})).json()
    assert [b["title"] for b in page["items"]] == ["Page 2", "Page 1"] and page["next_cursor"]
    last = (await browser.get(f"/communities/{c}/bookmarks", params={"cursor": page["next_cursor"]})).json()
    assert [b["title"] for b in last["items"]] == ["Page 0"]
    removed = await browser.send("DELETE", f"/communities/{c}/bookmarks/{last['items'][0]['id']}")
    assert removed.status_code == 204
    [entry] = (await browser.get(f"/communities/{c}/audit", params={"resource": "bookmarks"})).json()["items"]
    assert entry["before"]["title"] == "Page 0" and entry["action"] == "delete"
    assert (await browser.get(f"/communities/{c}/reminders")).json() == {"items": [], "next_cursor": None}
    assert (await browser.get(f"/communities/{c}/aliases")).json() == {"items": [], "next_cursor": None}


async def test_a_screen_whose_service_is_not_installed_answers_503(portal_fleet: Any) -> None:
    browser, c = await signed_in(portal_fleet, "broadcaster")
    absent = [s for s in SCREENS if s.owner not in service_table.installed()]
    for screen in absent:
        answer = await browser.get(f"/communities/{c}/{screen.name}")
        assert answer.status_code == 503, screen.name
        error = answer.json()["error"]
        assert error["code"] == "dependency_unavailable" and error["details"]["service"] == screen.owner
    present = [s for s in SCREENS if s.owner in service_table.installed()]
    assert {s.name for s in present} >= {"commands", "modules", "quotes", "aliases"}


async def test_points_and_ledger_come_from_reputation(make_settings: Any, common: Any, app: Any) -> None:
    from flask_core.app import resources
    from waddlebot_cli.testing import run_fleet
    from waddlebot_portal import accounts
    from waddlebot_reputation.app import create_app as create_reputation
    from waddlebot_reputation.settings import ReputationSettings

    apps = {"reputation": create_reputation(make_settings(ReputationSettings, **common)), "portal": app}
    async with run_fleet(app.extensions["waddlebot.settings"], apps) as fleet:
        await accounts.create_user(resources(app).db, app.extensions["waddlebot.settings"], "viewer@example.com",
                                   "correct horse battery")  # fmt: skip
        account = await accounts.find_by_email(resources(app).db, "viewer@example.com")
        assert account is not None
        await accounts.grant(resources(app).db, account.id, 5, "everyone", by="test")
        import httpx

        async with httpx.AsyncClient(base_url=fleet.url) as http:
            signed = await http.post("/portal/api/v1/auth/login",
                                     json={"email": "viewer@example.com", "password": "correct horse battery"})  # fmt: skip
            assert signed.status_code == 200
            board = await http.get("/portal/api/v1/communities/5/points", params={"sort": "-balance"})
            assert board.status_code == 200, board.text
            assert board.json() == {"items": [], "next_cursor": None}
            ledger = await http.get("/portal/api/v1/communities/5/ledger")
            assert ledger.json() == {"items": [], "next_cursor": None}
            refused = await http.get("/portal/api/v1/communities/5/ledger", params={"sort": "sideways"})
            assert refused.status_code == 422  # reputation's own validation, passed on
            assert "points:view" in signed.json()["communities"][0]["capabilities"]


def fake_owners(settings: Any) -> dict[str, Any]:
    """browser_source and ai as their portal-facing routes answer (those services are built
    on other branches): overlay reveal/rotate actions and the AI settings object."""
    from quart import Blueprint, request

    from flask_core import create_app as core_app
    from flask_core import require_service

    overlays = Blueprint("browser_source", __name__)
    token = {"value": "tok-1", "calls": []}

    def listing(masked: bool) -> dict[str, Any]:
        shown = "tok-•••" if masked else str(token["value"])
        url = f"http://x/browser_source/overlay/{shown}/alert"
        return {
            "items": [{"kind": "alert", "url": url, "preview_url": f"{url}?preview=1"}],
            "next_cursor": None,
        }

    @overlays.get("/api/v1/communities/<int:community_id>/overlays")
    @require_service
    async def list_overlays(community_id: int) -> Any:
        return listing(True)

    @overlays.post("/api/v1/communities/<int:community_id>/overlays/reveal")
    @require_service
    async def reveal(community_id: int) -> Any:
        return listing(False)

    @overlays.post("/api/v1/communities/<int:community_id>/overlays/rotate")
    @require_service
    async def rotate(community_id: int) -> Any:
        token["value"] = "tok-2"
        return {**listing(False), "grace_seconds": 300.0}

    ai = Blueprint("ai", __name__)
    stored: dict[str, Any] = {"persona": None}

    def ai_out(community_id: int) -> dict[str, Any]:
        return {"community_id": community_id, "provider": None, "model": None, "persona": stored["persona"],
                "system_prompt": None, "mentions": True, "greetings": {"raid": True},
                "effective": {"provider": "ollama", "model": "llama3"}}  # fmt: skip

    @ai.get("/api/v1/communities/<int:community_id>/settings")
    @require_service
    async def get_ai(community_id: int) -> Any:
        return ai_out(community_id)

    @ai.put("/api/v1/communities/<int:community_id>/settings")
    @require_service
    async def put_ai(community_id: int) -> Any:
        stored.update(await request.get_json())
        return ai_out(community_id)

    return {
        "browser_source": core_app("browser_source", settings, [overlays], "browser_source"),
        "ai": core_app("ai", settings, [ai], "ai"),
    }


async def test_whole_object_screens_and_actions(
    make_settings: Any, common: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from flask_core import CoreSettings
    from flask_core.app import resources
    from waddlebot_cli.testing import run_fleet
    from waddlebot_portal import accounts, proxy

    present = service_table.installed() | {"browser_source", "ai"}
    monkeypatch.setattr(proxy.service_table, "installed", lambda: present)
    apps = {**fake_owners(make_settings(CoreSettings, **common)), "portal": app}
    async with run_fleet(app.extensions["waddlebot.settings"], apps) as fleet:
        db, settings = resources(app).db, app.extensions["waddlebot.settings"]
        for email, role in (("owner@example.com", "broadcaster"), ("mod@example.com", "moderator")):
            account = await accounts.create_user(db, settings, email, "correct horse battery")
            await accounts.grant(db, account.id, 3, role, by="test")
        async with (
            httpx.AsyncClient(base_url=fleet.url) as owner,
            httpx.AsyncClient(base_url=fleet.url) as mod,
        ):
            for http, email in ((owner, "owner@example.com"), (mod, "mod@example.com")):
                signed = await http.post(
                    "/portal/api/v1/auth/login", json={"email": email, "password": "correct horse battery"}
                )
                assert signed.status_code == 200
            csrf = {"X-CSRF-Token": owner.cookies["csrf_token"]}
            mod_csrf = {"X-CSRF-Token": mod.cookies["csrf_token"]}
            base = "/portal/api/v1/communities/3"
            listed = (await mod.get(f"{base}/overlays")).json()
            assert "tok-1" not in str(listed) and listed["items"][0]["kind"] == "alert"
            revealed = (await mod.post(f"{base}/overlays/reveal", headers=mod_csrf)).json()
            assert "tok-1" in revealed["items"][0]["url"]
            assert (await mod.post(f"{base}/overlays/rotate", headers=mod_csrf)).status_code == 403
            rotated = (await owner.post(f"{base}/overlays/rotate", headers=csrf)).json()
            assert "tok-2" in rotated["items"][0]["url"] and rotated["grace_seconds"] == 300.0

            assert (await mod.get(f"{base}/ai")).json()["effective"]["model"] == "llama3"
            assert (await mod.put(f"{base}/ai", json={"persona": "x"}, headers=mod_csrf)).status_code == 403
            changed = await owner.put(f"{base}/ai", json={"persona": "A cheerful penguin"}, headers=csrf)
            assert changed.status_code == 200 and changed.json()["persona"] == "A cheerful penguin"
            assert (
                await owner.put(f"{base}/ai", json={"provider": "skynet"}, headers=csrf)
            ).status_code == 422

            trail = (await owner.get(f"{base}/audit")).json()["items"]
            assert [(e["resource"], e["action"]) for e in reversed(trail)] == [
                ("overlays", "reveal"),
                ("overlays", "rotate"),
                ("ai", "update"),
            ]
            assert trail[-1]["after"] is None  # the revealed URLs are not kept in the audit
            assert trail[-2]["after"] is None and "tok-2" not in str(trail)  # nor the rotated ones
            assert (
                trail[0]["before"]["persona"] is None and trail[0]["after"]["persona"] == "A cheerful penguin"
            )
            me = (await mod.get("/portal/api/v1/me")).json()["communities"][0]["capabilities"]
            assert "overlays:reveal" in me and "overlays:rotate" not in me and "ai:view" in me
