"""Overlay sockets through the real router and browser_source (real HTTP, both backends)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import httpx
from aiohttp import web

from flask_core.testing import service_headers
from waddlebot_browser_source.hub import SLOW, Client, Hub
from waddlebot_browser_source.routes import UNAUTHORISED

from .conftest import SERVER, event, portal_headers


async def test_overlay_dms_the_urls_to_moderators_only(overlay_fleet: Any) -> None:
    async with overlay_fleet() as o:
        body = await o.say("!overlay")
        [dm] = body["responses"]
        assert dm["type"] == "dm"
        for kind in ("alerts", "ticker", "media", "now_playing", "chat"):
            assert (
                "https://bot.example.com/browser_source/overlay/" in dm["text"] and f"/{kind}" in dm["text"]
            )
        assert await o.token() == await o.token()  # the same token until rotated
        viewer = await o.say("!overlay", roles=[])
        assert viewer["status"] == "rejected" and "dm" not in {r["type"] for r in viewer["responses"]}


async def test_a_follow_reaches_a_connected_alerts_client_and_is_replayed(overlay_fleet: Any) -> None:
    async with overlay_fleet() as o:
        token = await o.token()
        async with o.socket(token) as ws:
            assert ws.hello["heartbeat"] == 15.0
            assert await ws.until_ready() == []
            started = time.monotonic()
            follow = await o.fleet.post(event(type_="follow", user="newbie", roles=[]))
            assert follow.json()["status"] == "processed"
            item = await ws.next_item(within=1.0)
            assert time.monotonic() - started < 1.0
            assert item["kind"] == "alerts"
            assert item["payload"] == {"kind": "follow", "user": "Newbie", "login": "newbie"}
        await o.fleet.post(event(type_="cheer", user="gen", text="Cheer100 nice", roles=[], bits=100))
        async with o.socket(token) as again:  # reconnecting: the replay buffer first
            replayed = await again.until_ready()
            assert [r["payload"]["kind"] for r in replayed] == ["follow", "cheer"]
            assert all(r["replay"] for r in replayed) and replayed[1]["payload"]["bits"] == 100
        async with o.socket(token, "ticker") as ticker:  # per kind
            assert await ticker.until_ready() == []


async def test_the_replay_buffer_keeps_the_last_items(overlay_fleet: Any) -> None:
    async with overlay_fleet(browser_source_replay=3) as o:
        token = await o.token()
        for n in range(5):
            await o.fleet.post(event(type_="follow", user=f"user{n}", roles=[]))
        async with o.socket(token) as ws:
            assert [r["payload"]["login"] for r in await ws.until_ready()] == ["user2", "user3", "user4"]


async def test_a_wrong_token_is_refused(overlay_fleet: Any) -> None:
    async with overlay_fleet() as o, httpx.AsyncClient(base_url=o.url) as http:
        token = await o.token()
        for bad in ("x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), "short"):
            page = await http.get(f"/browser_source/overlay/{bad}/alerts")
            assert page.status_code == 404 and "not valid" in page.text
            async with o.session.ws_connect(
                f"{o.url.replace('http', 'ws')}/browser_source/ws/{bad}/alerts"
            ) as ws:
                msg = await ws.receive(timeout=5)
                assert msg.type == aiohttp.WSMsgType.CLOSE and ws.close_code == UNAUTHORISED
        assert (await http.get(f"/browser_source/overlay/{token}/nope")).status_code == 404
        good = await http.get(f"/browser_source/overlay/{token}/alerts")
        assert good.status_code == 200
        policy = good.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "https:" not in policy and "unsafe-inline" not in policy
        media = (await http.get(f"/browser_source/overlay/{token}/media")).headers["content-security-policy"]
        assert "frame-src https://www.youtube.com https://www.youtube-nocookie.com" in media
        assert "script-src 'self' https://www.youtube.com;" in media


async def test_rotation_keeps_the_old_token_for_the_grace_period(overlay_fleet: Any, eventually: Any) -> None:
    async with overlay_fleet(browser_source_grace=2.0, browser_source_token_cache=0.05,
                             browser_source_heartbeat=2.0) as o, httpx.AsyncClient(base_url=o.url) as http:  # fmt: skip
        old = await o.token()
        community = await _community(o)
        base = f"/browser_source/api/v1/communities/{community}/overlays"
        listed = (await http.get(base, headers=portal_headers())).json()
        assert [i["kind"] for i in listed["items"]] == ["alerts", "ticker", "media", "now_playing", "chat"]
        assert old not in listed["items"][0]["url"] and "…" in listed["items"][0]["url"]
        assert (await http.get(base)).status_code == 401
        async with o.socket(old) as kept:
            await kept.until_ready()
            rotated = (await http.post(f"{base}/rotate", headers=portal_headers())).json()
            new = rotated["items"][0]["url"].split("/")[-2]
            assert new != old and rotated["grace_seconds"] == 2.0
            assert await o.token() == new
            revealed = (await http.post(f"{base}/reveal", headers=portal_headers())).json()
            assert (
                revealed["items"][0]["url"] == f"https://bot.example.com/browser_source/overlay/{new}/alerts"
            )
            # Within the grace both work.
            assert (await http.get(f"/browser_source/overlay/{old}/alerts")).status_code == 200
            async with o.socket(new) as fresh:
                await fresh.until_ready()
                await o.fleet.post(event(type_="raid", user="raider", roles=[], viewers=7))
                assert (await kept.next_item())["payload"]["viewers"] == 7
                assert (await fresh.next_item())["payload"]["viewers"] == 7
                # After it, the old page is gone and its open socket is closed on its next ping.
                await eventually(lambda: _gone(http, old), within=4.0)
                await kept.ws.send_json({"type": "ping"})
                assert await kept.close_code(within=3.0) == UNAUTHORISED
                await fresh.ws.send_json({"type": "ping"})
                assert (await fresh.message())["type"] == "pong"


async def _answer(response: web.Response) -> web.Response:
    return response


async def _gone(http: httpx.AsyncClient, token: str) -> bool:
    return (await http.get(f"/browser_source/overlay/{token}/alerts")).status_code == 404


async def _community(o: Any) -> int:
    def read(d: Any) -> int:
        return int(d(d.entities.server_id == SERVER).select(d.entities.community_id).first().community_id)

    res = o.fleet.dispatcher.resources
    community: int = await res.db.read(read)
    return community


async def test_module_messages_with_overlays_reach_the_ticker_once(
    overlay_fleet: Any, fake_http: Any
) -> None:
    stored = web.json_response({"queued": 0, "duplicates": 0, "skipped": 1}, status=202)
    fake_http.route("POST", "/twitch/api/v1/messages", lambda call: _answer(stored))
    async with overlay_fleet(router={"twitch_url": fake_http.url}) as o:
        token = await o.token()
        community = await _community(o)
        message = {
            "message_id": "timers:ticker:1:2026-12-01T09:00Z", "community_id": str(community),
            "platform": "twitch", "server_id": SERVER, "channel_id": SERVER,
            "responses": [{"type": "overlay", "source": "ticker", "payload": {"text": "Song requests are open"}}],
        }  # fmt: skip
        async with o.socket(token, "ticker") as ws:
            await ws.until_ready()
            headers = service_headers("router", issuer="timers")
            sent = await o.fleet.http.post("/router/api/v1/messages", json=message, headers=headers)
            assert sent.status_code in (200, 202), sent.text
            assert (await ws.next_item())["payload"] == {"text": "Song requests are open"}
            # The same (invocation, index) again — a retried delivery — is not shown twice.
            again = {"invocation_id": message["message_id"], "community_id": community,
                     "items": [{"index": 0, "source": "ticker", "payload": {"text": "again"}}]}  # fmt: skip
            pushed = await o.fleet.http.post("/browser_source/api/v1/overlays", json=again,
                                             headers=service_headers("browser_source", issuer="router"))  # fmt: skip
            assert pushed.status_code == 202 and pushed.json() == {"published": 0}
            bad = await o.fleet.http.post("/browser_source/api/v1/overlays", json={"items": []},
                                          headers=service_headers("browser_source", issuer="router"))  # fmt: skip
            assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


async def test_a_slow_client_is_dropped_without_holding_the_others(make_settings: Any) -> None:
    from flask_core.resources import Resources
    from waddlebot_browser_source.settings import BrowserSourceSettings

    settings = make_settings(BrowserSourceSettings, browser_source_queue=4)
    res = await Resources.open(settings)
    try:
        hub = Hub(res, settings)
        await hub.start()
        stalled, reading = hub.join(1, "alerts"), hub.join(1, "alerts")
        got: list[str] = []

        async def read(client: Client) -> None:
            while True:
                got.append((await client.queue.get())[0])

        reader = asyncio.create_task(read(reading))
        for n in range(50):
            await hub.publish(1, "alerts", {"id": str(n), "type": "item"})
            await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        reader.cancel()
        assert stalled.slow.is_set() and not reading.slow.is_set()
        assert got == [str(n) for n in range(50)]
        assert stalled.queue.qsize() == 4 and SLOW == 4408
        hub.leave(stalled)
        assert hub.clients[(1, "alerts")] == {reading}
        await hub.stop()
    finally:
        await res.close()
