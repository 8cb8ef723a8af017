"""Overlays through the portal against the real browser_source: masked list, reveal, and a
test alert that reaches a connected overlay (what the portal's live preview shows)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from waddlebot_browser_source.app import create_app as create_browser_source
from waddlebot_browser_source.settings import BrowserSourceSettings
from waddlebot_cli.testing import run_fleet
from waddlebot_portal.app import create_app
from waddlebot_portal.settings import PortalSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

from .conftest import CHEAP_ARGON2, PortalFleet


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


async def test_a_moderator_reveals_the_url_and_a_test_alert_reaches_the_overlay(
    make_settings: Any, common: dict[str, Any]
) -> None:
    common = {**common, "default_modules": ["browser_source"]}
    portal = create_app(make_settings(PortalSettings, portal_cookie_secure=False, **CHEAP_ARGON2, **common))
    apps = {
        "router": create_router(make_settings(RouterSettings, router_manifest_interval=0.5, **common)),
        "browser_source": create_browser_source(make_settings(BrowserSourceSettings, **common)),
        "portal": portal,
    }
    async with run_fleet(portal.extensions["waddlebot.settings"], apps) as fleet:
        pf = PortalFleet(fleet, portal)
        c = await pf.community()
        await pf.user("mod@example.com", roles={c: "moderator"})
        await pf.user("vip@example.com", roles={c: "vip"})
        mod, vip = pf.browser(), pf.browser()
        assert (await mod.login("mod@example.com")).status_code == 200
        assert (await vip.login("vip@example.com")).status_code == 200
        try:
            listed = (await mod.get(f"/communities/{c}/overlays")).json()["items"]
            alerts = next(i for i in listed if i["kind"] == "alerts")
            revealed = (await mod.send("POST", f"/communities/{c}/overlays/reveal")).json()["items"]
            real = next(i for i in revealed if i["kind"] == "alerts")
            assert real["url"] != alerts["url"] and real["preview_url"] == f"{real['url']}?preview=1"
            token = real["url"].split("/browser_source/overlay/", 1)[1].split("/", 1)[0]
            assert token not in alerts["url"]
            page = await fleet.http.get(
                real["preview_url"].replace(real["url"].split("/browser_source")[0], "")
            )
            assert page.status_code == 200
            assert "frame-ancestors 'self'" in page.headers["content-security-policy"]

            refused = await vip.send("POST", f"/communities/{c}/overlays/test")
            assert refused.status_code == 403
            ws_url = f"{fleet.url.replace('http', 'ws')}/browser_source/ws/{token}/alerts"
            async with aiohttp.ClientSession() as session, session.ws_connect(ws_url) as ws:
                while json.loads((await ws.receive(timeout=5)).data)["type"] != "ready":
                    pass
                sent = await mod.send("POST", f"/communities/{c}/overlays/test")
                assert sent.status_code == 200 and sent.json() == {"published": 1}
                item = json.loads((await ws.receive(timeout=5)).data)
                assert item["type"] == "item" and item["kind"] == "alerts"
                assert item["payload"]["kind"] == "follow" and item["payload"]["test"] is True
            trail = (await mod.get(f"/communities/{c}/audit", params={"resource": "overlays"})).json()[
                "items"
            ]
            assert [e["action"] for e in trail] == ["test", "reveal"] and trail[1]["after"] is None
            caps = (await mod.get("/me")).json()["communities"][0]["capabilities"]
            assert "overlays:test" in caps and "overlays:rotate" not in caps
        finally:
            for b in pf.browsers:
                await b.aclose()
