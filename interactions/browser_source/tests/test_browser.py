"""The overlay page in a real browser: Debian's Chromium driven by Playwright (never
`playwright install`). A user name that is HTML arrives as text and runs nothing."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from .conftest import SERVER, event, portal_headers

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
EVIL = '<img src=x onerror="window.__pwned=1">'


@pytest.fixture
def backend(data_dir: Any) -> dict[str, Any]:
    """One backend is enough for the page (storage is tested elsewhere on both)."""
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


def _have_chromium() -> bool:
    return os.path.exists(CHROMIUM)


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Any]:
    if not _have_chromium():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing (scripts/ensure-chromium.sh installs it)")
        pytest.skip("Chromium is not installed here")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


async def test_a_user_name_with_html_is_shown_as_text_and_runs_nothing(
    overlay_fleet: Any, browser: Any
) -> None:
    async with overlay_fleet() as o:
        token = await o.token()
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        await page.goto(f"{o.url}/browser_source/overlay/{token}/alerts")
        await page.wait_for_selector("body[data-connected=true]", timeout=5000, state="attached")
        await o.fleet.post(event(type_="follow", user="evil", display=EVIL, roles=[]))
        alert = page.locator("#overlay .alert")
        await alert.first.wait_for(timeout=3000)
        assert await alert.first.text_content() == f"{EVIL} just followed!"
        assert await page.locator("#overlay img").count() == 0
        assert await page.evaluate("() => window.__pwned") is None
        cheer = event(
            type_="cheer", user="cheery", text="<script>window.__pwned=2</script>", roles=[], bits=5
        )
        await o.fleet.post(cheer)
        await page.locator("#overlay .alert .detail").first.wait_for(timeout=3000)
        assert (
            await page.locator("#overlay .alert .detail").first.text_content()
            == "<script>window.__pwned=2</script>"
        )
        assert await page.locator("#overlay script").count() == 0
        assert await page.evaluate("() => window.__pwned") is None
        assert errors == []
        assert all(url.startswith(o.url) for url in requests), requests  # no remote origin
        # A page loaded again shows no old alerts, and reconnects after the socket drops.
        await page.reload()
        await page.wait_for_selector("body[data-connected=true]", timeout=5000, state="attached")
        assert await page.locator("#overlay .alert").count() == 0
        await page.close()  # before the server stops: its socket would hold the shutdown


async def test_the_preview_shows_samples_then_live_alerts_and_only_a_same_origin_page_frames_it(
    overlay_fleet: Any, browser: Any
) -> None:
    async with overlay_fleet() as o:
        token = await o.token()
        page = await browser.new_page()
        await page.goto(f"{o.url}/browser_source/overlay/{token}/alerts?preview=1")
        await page.wait_for_selector("body[data-preview=true]", timeout=5000, state="attached")
        texts = await page.locator("#overlay .alert").all_text_contents()
        assert texts[0] == "NewFriend just followed!" and len(texts) == 3
        await page.wait_for_selector("body[data-connected=true]", timeout=5000, state="attached")
        community = await _community(o)
        test = await o.fleet.http.post(
            f"/browser_source/api/v1/communities/{community}/overlays/test", headers=portal_headers()
        )
        assert test.status_code == 200 and test.json() == {"published": 1}
        await page.locator("#overlay .alert", has_text="Test follower just followed!").wait_for(timeout=3000)
        await o.fleet.post(event(type_="follow", user="realfan", display="RealFan", roles=[]))
        await page.locator("#overlay .alert", has_text="RealFan just followed!").wait_for(timeout=3000)
        policy = (await o.fleet.http.get(f"/browser_source/overlay/{token}/alerts")).headers
        assert "frame-ancestors 'self'" in policy["content-security-policy"]
        chat = await browser.new_page()
        await chat.goto(f"{o.url}/browser_source/overlay/{token}/chat?preview=1")
        await chat.wait_for_selector("#overlay .chat-line", timeout=5000, state="attached")
        assert (await chat.locator("#overlay .chat-line .who").all_text_contents())[:2] == ["Amy", "Bob"]
        media = await browser.new_page()
        await media.goto(f"{o.url}/browser_source/overlay/{token}/media?preview=1")
        await media.wait_for_selector("#overlay .now-playing", timeout=5000, state="attached")
        assert await media.get_attribute("body", "data-connected") is None  # plays nothing in the portal
        for p in (page, chat, media):
            await p.close()


async def _community(o: Any) -> int:
    def read(d: Any) -> int:
        return int(d(d.entities.server_id == SERVER).select(d.entities.community_id).first().community_id)

    found: int = await o.fleet.dispatcher.resources.db.read(read)
    return found
