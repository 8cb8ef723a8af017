"""The modules and commands screens through the portal (session + CSRF), owned by the
marketplace (§12, decision 0078): install a catalogue module, change its settings (checked
per field against its schema, kept by the module), refuse bad ones, disable, uninstall —
each audited; and a command setting changed in the portal applies to the next chat line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from flask_core.testing import wait_until
from waddlebot_cli.testing import run_fleet
from waddlebot_shoutout.app import create_app as create_shoutout
from waddlebot_shoutout.settings import ShoutoutSettings

from .conftest import PortalFleet, fleet_apps


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


@pytest_asyncio.fixture
async def fleet(make_settings: Any, common: dict[str, Any], app: Any) -> AsyncIterator[PortalFleet]:
    """The portal's fleet plus shoutout, a catalogue module with settings that is not a default."""
    apps = {**fleet_apps(make_settings, common, app),
            "shoutout": create_shoutout(make_settings(ShoutoutSettings, **common))}  # fmt: skip
    async with run_fleet(app.extensions["waddlebot.settings"], apps) as running:
        pf = PortalFleet(running, app)
        try:
            yield pf
        finally:
            for b in pf.browsers:
                await b.aclose()


async def signed_in(fleet: PortalFleet, role: str) -> tuple[Any, int]:
    community = await fleet.community()
    await fleet.user(f"{role}@example.com", roles={community: role})
    browser = fleet.browser()
    assert (await browser.login(f"{role}@example.com")).status_code == 200
    return browser, community


async def modules(browser: Any, c: int, **params: Any) -> dict[str, Any]:
    answer = await browser.get(f"/communities/{c}/modules", params=params)
    assert answer.status_code == 200, answer.text
    return {m["name"]: m for m in answer.json()["items"]}


async def test_install_configure_refuse_disable_uninstall_with_an_audit_trail(fleet: PortalFleet) -> None:
    browser, c = await signed_in(fleet, "broadcaster")

    async def catalogued() -> bool:
        return "shoutout" in await modules(browser, c)

    await wait_until(catalogued)  # the marketplace has read shoutout's manifest
    listed = await modules(browser, c)
    so = listed["shoutout"]
    assert (so["installed"], so["enabled"]) == (False, False)  # in the catalogue, not installed here
    assert so["settings_schema"]["properties"]["live_template"]["maxLength"] == 400
    assert so["settings"]["cooldown"] == 3600.0  # the module's own (defaults until changed)
    assert listed["memories"]["installed"] and listed["memories"]["enabled"]
    assert listed["memories"]["settings_schema"] == {} and listed["memories"]["settings"] == {}
    assert list(await modules(browser, c, q="shout")) == ["shoutout"]
    page = (await browser.get(f"/communities/{c}/modules", params={"limit": 1})).json()
    assert len(page["items"]) == 1 and page["next_cursor"]

    url = f"/communities/{c}/modules/shoutout"
    assert (await browser.send("PUT", url, {"enabled": True}, csrf=False)).status_code == 403  # CSRF
    installed = await browser.send("PUT", url, {"enabled": True})
    assert installed.status_code == 200, installed.text
    assert installed.json()["enabled"] is True and installed.json()["settings"]["auto_raid"] is True
    assert (await browser.get(url)).json()["installed"] is True

    changed = await browser.send(
        "PUT", url, {"enabled": True, "settings": {"cooldown": 0, "auto_raid": False}}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"] == {**so["settings"], "cooldown": 0, "auto_raid": False}
    bad = await browser.send(
        "PUT", url, {"settings": {"cooldown": -5, "live_template": "x" * 401, "colour": 1}}
    )
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "validation_error"
    assert sorted(d["loc"][-1] for d in error["details"]) == ["colour", "cooldown", "live_template"]
    assert (await browser.get(url)).json()["settings"]["cooldown"] == 0  # nothing half-written

    off = await browser.send("PUT", url, {"enabled": False})
    assert off.json()["enabled"] is False and off.json()["settings"]["auto_raid"] is False
    kept = await browser.send("PUT", url, {"settings": {"cooldown": 30}})  # settings alone: stays off
    assert kept.status_code == 200 and kept.json()["enabled"] is False
    assert kept.json()["settings"]["cooldown"] == 30 and kept.json()["settings"]["auto_raid"] is False
    assert (await browser.send("DELETE", url)).status_code == 204
    assert (await browser.get(url)).json()["installed"] is False
    assert (await browser.send("DELETE", url)).status_code == 404
    assert (await browser.send("PUT", f"/communities/{c}/modules/nosuch", {})).status_code == 404

    trail = (await browser.get(f"/communities/{c}/audit", params={"resource": "modules"})).json()["items"]
    steps = [(e["action"], e["resource_id"]) for e in reversed(trail)]
    assert steps == [("update", "shoutout")] * 4 + [("delete", "shoutout")]
    install, settings, disable, _, uninstall = reversed(trail)
    assert install["before"]["installed"] is False and install["after"]["enabled"] is True
    assert (
        settings["before"]["settings"]["cooldown"] == 3600.0
        and settings["after"]["settings"]["cooldown"] == 0
    )
    assert disable["after"]["enabled"] is False
    assert uninstall["before"]["installed"] is True and uninstall["after"] is None


async def test_a_moderator_sees_modules_but_cannot_change_them(fleet: PortalFleet) -> None:
    browser, c = await signed_in(fleet, "moderator")
    assert "memories" in await modules(browser, c)
    refused = await browser.send("PUT", f"/communities/{c}/modules/memories", {"enabled": False})
    assert refused.status_code == 403 and refused.json()["error"]["details"]["reason"] == "role"
    me = (await browser.get("/me")).json()["communities"][0]["capabilities"]
    assert "modules:view" in me and "modules:manage" not in me


async def test_a_cooldown_changed_in_the_portal_applies_to_the_very_next_chat_command(
    fleet: PortalFleet,
) -> None:
    browser, c = await signed_in(fleet, "broadcaster")
    line = {"text": "!quote", "user": {"username": "viewer", "role": "everyone"}}

    async def say() -> str:
        answer = await browser.send("POST", f"/communities/{c}/simulate", line)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["status"])

    assert await say() == "processed"  # the router has cached this community's table now
    url = f"/communities/{c}/commands/quote"
    assert (await browser.send("PATCH", url, {"user_cooldown": 3600})).status_code == 200
    assert [await say(), await say()] == ["processed", "rate_limited"]
    cleared = await browser.send("PATCH", url, {"user_cooldown": 0})
    assert cleared.status_code == 200 and cleared.json()["user_cooldown"] == 0
    assert [await say(), await say()] == ["processed", "processed"]  # 0 = none, at once
    assert (await browser.get(url)).json()["user_cooldown"] == 0
    [latest, _] = (await browser.get(f"/communities/{c}/audit", params={"resource": "commands"})).json()[
        "items"
    ]
    assert latest["before"]["user_cooldown"] == 3600 and latest["after"]["user_cooldown"] == 0
