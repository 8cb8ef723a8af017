"""Song requests into the streamer's Spotify through the real router, spotify and
browser_source, against a fake Spotify speaking its response shapes (both backends)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest

from flask_core.testing import free_tcp_port, release_tcp_port, service_headers
from waddlebot_browser_source.app import create_app as create_browser_source
from waddlebot_browser_source.settings import BrowserSourceSettings
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_spotify.service import track_id_of

from .conftest import CLIENT_ID

RICK, PSY, RUDE = "4PTG3Z6ehGkBFwjybzWkR8", "03UrZgTINDqvnUMbbIMhql", "1rudeSong000000000000A"


def event(text: str, *, user: str = "amy", roles: list[str] | None = None) -> dict[str, Any]:
    return {
        "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": "chan9", "channel_id": "chan9",
        "user": {"platform_user_id": f"id-{user}", "username": user, "display_name": user.title(),
                 "roles": roles or []},
        "type": "chat_message", "text": text, "reply": {"kind": "inline"},
    }  # fmt: skip


class Chat:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    async def say(self, text: str, **kwargs: Any) -> str:
        answer = await self.fleet.post(event(text, **kwargs))
        assert answer.status_code == 200, answer.text
        return " | ".join(r.get("text", "") for r in answer.json()["responses"])

    async def community(self) -> int:
        def read(d: Any) -> int:
            return int(
                d(d.entities.server_id == "chan9").select(d.entities.community_id).first().community_id
            )

        found: int = await self.fleet.dispatcher.resources.db.read(read)
        return found


@pytest.fixture
def fleet(make_settings: Any, backend: dict[str, Any], spotify: Callable[..., Any]) -> Callable[[], Any]:
    @asynccontextmanager
    async def start() -> AsyncIterator[Chat]:
        port = free_tcp_port()
        common = {"port": port, "default_modules": ["spotify", "browser_source"], **backend}
        router = make_settings(RouterSettings, router_manifest_interval=0.5, **common)
        apps = {"router": create_router(router), "spotify": spotify(common),
                "browser_source": create_browser_source(make_settings(BrowserSourceSettings, **common))}  # fmt: skip
        try:
            async with run_fleet(router, apps) as running:
                yield Chat(running)
        finally:
            release_tcp_port(port)

    return start


def portal() -> dict[str, str]:
    return service_headers("spotify", issuer="portal")


async def connect(c: Chat, fake: Any) -> None:
    """The streamer connects Spotify: the portal's link, Spotify's consent, the redirect back."""
    base = f"/spotify/api/v1/communities/{await c.community()}/account"
    started = await c.fleet.http.post(f"{base}/connect", headers=portal())
    assert started.status_code == 200, started.text
    link = urlparse(started.json()["authorize_url"])
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert link.path == "/authorize" and query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["redirect_uri"] == "https://bot.example.com/spotify/oauth/callback"
    assert "user-modify-playback-state" in query["scope"]
    fake.codes.add("the-code")
    forged = await c.fleet.http.get("/spotify/oauth/callback", params={"code": "the-code", "state": "forged"})
    assert forged.status_code == 400
    back = await c.fleet.http.get(
        "/spotify/oauth/callback", params={"code": "the-code", "state": query["state"]}
    )
    assert back.status_code == 200 and "connected" in back.text
    assert (await c.fleet.http.get(base, headers=portal())).json() == {"connected": True}


async def items(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.TEXT
        data: dict[str, Any] = json.loads(msg.data)
        if data["type"] == "item":
            return data


def test_track_links() -> None:
    for link in (f"https://open.spotify.com/track/{RICK}?si=abc", f"spotify:track:{RICK}",
                 f"https://open.spotify.com/intl-de/track/{RICK}"):  # fmt: skip
        assert track_id_of(link) == RICK
    assert track_id_of(f"https://evil.example/track/{RICK}") is None and track_id_of("rick astley") is None


async def test_requests_go_to_the_device_queue_and_now_playing_follows(fleet: Any, fake_spotify: Any) -> None:
    fake_spotify.add_track(RICK, "Never Gonna Give You Up")
    fake_spotify.add_track(PSY, "Gangnam Style", artist="PSY", seconds=219)
    fake_spotify.add_track(RUDE, "A rude tune")
    async with fleet() as c, aiohttp.ClientSession() as session:
        assert "ask the streamer to connect Spotify" in await c.say("!sr never gonna")
        await connect(c, fake_spotify)
        overlay = (await c.fleet.post(event("!overlay", user="mod", roles=["moderator"]))).json()
        token = overlay["responses"][0]["text"].split("/browser_source/overlay/", 1)[1].split("/", 1)[0]
        async with session.ws_connect(
            f"{c.fleet.url.replace('http', 'ws')}/browser_source/ws/{token}/now_playing"
        ) as ws:
            assert (
                await c.say("!sr never gonna") == 'Added "Never Gonna Give You Up" (3:33), #1 in the queue.'
            )
            assert fake_spotify.queue == [f"spotify:track:{RICK}"]
            assert await c.say(f"!sr https://open.spotify.com/track/{PSY}", user="bob") == (
                'Added "Gangnam Style" (3:39), #2 in the queue.'
            )
            assert await c.say("!song") == "Nothing is playing."
            fake_spotify.advance()  # the streamer's player reaches the first request
            shown = await items(ws)  # the poller noticed: now_playing pushed without a command
            assert (
                shown["payload"]["title"] == "Never Gonna Give You Up"
                and shown["payload"]["requested_by"] == "Amy"
            )
            assert await c.say("!song") == (
                f'Now playing: "Never Gonna Give You Up" — requested by Amy https://open.spotify.com/track/{RICK}'
            )
            assert await c.say("!queue") == "Queue: 1. Gangnam Style (Bob)"
            # The access token expires: one refresh, then the call is made again.
            fake_spotify.expire_tokens()
            refreshes = len([r for r in fake_spotify.token_requests if r["grant_type"] == "refresh_token"])
            assert await c.say("!skip", user="mod", roles=["moderator"]) == (
                'Skipped "Never Gonna Give You Up". Now playing "Gangnam Style".'
            )
            after = [r for r in fake_spotify.token_requests if r["grant_type"] == "refresh_token"]
            assert len(after) == refreshes + 1 and after[-1]["refresh_token"].startswith("AQ")
            assert (await items(ws))["payload"]["title"] == "Gangnam Style"
            # The shared rules hold here too.
            cid = await c.community()
            await c.fleet.http.put(f"/spotify/api/v1/communities/{cid}/settings", headers=portal(),
                                   json={"blocked_words": ["rude"]})  # fmt: skip
            assert await c.say("!sr rude tune") == "That request contains a blocked word."
            fake_spotify.device = False
            assert await c.say("!sr never gonna", user="cat") == (
                "Spotify has no active device: the streamer needs to start playing first."
            )
            assert await c.say("!queue") == 'The queue is empty after "Gangnam Style".'  # not kept
            assert len(fake_spotify.queue) == 0


async def test_a_refresh_token_spotify_no_longer_takes_asks_to_connect_again(
    fleet: Any, fake_spotify: Any
) -> None:
    fake_spotify.add_track(RICK, "Never Gonna Give You Up")
    async with fleet() as c:
        await c.say("!queue")
        cid = await c.community()
        skip = await c.fleet.http.post(f"/spotify/api/v1/communities/{cid}/queue/skip", headers=portal())
        assert skip.status_code == 409 and "connect Spotify" in skip.json()["error"]["message"]
        await connect(c, fake_spotify)
        fake_spotify.expire_tokens()
        fake_spotify.refresh.clear()  # the streamer revoked the app
        assert "ask the streamer to connect Spotify" in await c.say("!sr never gonna")
        gone = await c.fleet.http.delete(f"/spotify/api/v1/communities/{cid}/account", headers=portal())
        assert gone.json() == {"connected": False}
