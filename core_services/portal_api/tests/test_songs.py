"""The song queue through the portal: the enabled music module serves it; approve, skip and
undo (within the server's window), each audited; a viewer cannot change it (decision 0082)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web

from flask_core import song_queue
from flask_core.testing import FakeHttpServer, Recorded, service_headers
from waddlebot_browser_source.app import create_app as create_browser_source
from waddlebot_browser_source.settings import BrowserSourceSettings
from waddlebot_cli.testing import run_fleet
from waddlebot_marketplace.app import create_app as create_marketplace
from waddlebot_marketplace.settings import MarketplaceSettings
from waddlebot_portal.app import create_app
from waddlebot_portal.settings import PortalSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_spotify.app import create_app as create_spotify
from waddlebot_spotify.settings import SpotifySettings
from waddlebot_youtube_music.app import create_app as create_youtube_music
from waddlebot_youtube_music.settings import YoutubeMusicSettings

from .conftest import CHEAP_ARGON2, PortalFleet

KEY = "portal-test-youtube-key"
TRACKS = {"aaaaaaaaaa0": "Penguin Polka", "aaaaaaaaaa1": "Ice Ice Baby", "aaaaaaaaaa2": "Snow Day"}


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


def _video(video_id: str, title: str) -> dict[str, Any]:
    """One `videos.list` item as the Data API v3 answers it (the parts youtube_music asks for)."""
    return {
        "kind": "youtube#video", "etag": uuid.uuid4().hex, "id": video_id,
        "snippet": {"publishedAt": "2020-01-01T00:00:00Z", "channelId": "UC0000000000000000000000",
                    "title": title, "description": "", "thumbnails": {}, "channelTitle": "Arctic Records",
                    "categoryId": "10", "liveBroadcastContent": "none"},
        "contentDetails": {"duration": "PT3M5S", "dimension": "2d", "definition": "hd", "caption": "false",
                           "licensedContent": True, "contentRating": {}, "projection": "rectangular"},
        "status": {"uploadStatus": "processed", "privacyStatus": "public", "license": "youtube",
                   "embeddable": True, "publicStatsViewable": True, "madeForKids": False},
    }  # fmt: skip


async def _videos(call: Recorded) -> web.Response:
    assert call.query.get("key") == KEY
    items = [_video(i, TRACKS[i]) for i in call.query.get("id", "").split(",") if i in TRACKS]
    return web.json_response({"kind": "youtube#videoListResponse", "etag": uuid.uuid4().hex, "items": items,
                              "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})  # fmt: skip


@asynccontextmanager
async def music_portal(make_settings: Any, common: dict[str, Any]) -> AsyncIterator[PortalFleet]:
    youtube = FakeHttpServer()
    youtube.route("GET", "/youtube/v3/videos", _videos)
    async with youtube.serving():
        common = {**common, "default_modules": ["youtube_music", "browser_source"]}
        portal = create_app(
            make_settings(PortalSettings, portal_cookie_secure=False, **CHEAP_ARGON2, **common)
        )
        yt = make_settings(YoutubeMusicSettings, youtube_api_key=KEY, youtube_api_url=f"{youtube.url}/youtube/v3",
                           **common)  # fmt: skip
        apps = {
            "router": create_router(make_settings(RouterSettings, router_manifest_interval=0.5, **common)),
            "youtube_music": create_youtube_music(yt),
            "spotify": create_spotify(make_settings(SpotifySettings, spotify_poll_interval=0, **common)),
            "browser_source": create_browser_source(make_settings(BrowserSourceSettings, **common)),
            "marketplace": create_marketplace(
                make_settings(MarketplaceSettings, marketplace_manifest_interval=0.5, **common)
            ),
            "portal": portal,
        }
        async with run_fleet(portal.extensions["waddlebot.settings"], apps) as fleet:
            pf = PortalFleet(fleet, portal)
            try:
                yield pf
            finally:
                for b in pf.browsers:
                    await b.aclose()


async def _request(pf: PortalFleet, video_id: str, user: str) -> str:
    event = {
        "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": "songs1", "channel_id": "songs1",
        "type": "chat_message", "text": f"!sr https://youtu.be/{video_id}", "reply": {"kind": "inline"},
        "user": {"platform_user_id": f"id-{user}", "username": user, "roles": []},
    }  # fmt: skip
    answer = await pf.fleet.post(event)
    assert answer.status_code == 200, answer.text
    return " ".join(r.get("text", "") for r in answer.json()["responses"])


async def test_approve_skip_and_undo_from_the_portal(
    make_settings: Any, common: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with music_portal(make_settings, common) as pf:
        assert "Now playing" in await _request(pf, "aaaaaaaaaa0", "amy")
        found = await pf.fleet.http.get("/router/api/v1/communities/by-platform/twitch/songs1",
                                        headers=service_headers("router"))  # fmt: skip
        c = int(found.json()["community_id"])
        approval = await pf.fleet.http.put(f"/youtube_music/api/v1/communities/{c}/settings",
                                           headers=service_headers("youtube_music", issuer="portal"),
                                           json={"approval": True})  # fmt: skip
        assert approval.status_code == 200
        assert "approval" in await _request(pf, "aaaaaaaaaa1", "bob")
        await pf.user("mod@example.com", roles={c: "moderator"})
        await pf.user("viewer@example.com", roles={c: "everyone"})
        mod, viewer = pf.browser(), pf.browser()
        assert (await mod.login("mod@example.com")).status_code == 200
        assert (await viewer.login("viewer@example.com")).status_code == 200

        listed = (await viewer.get(f"/communities/{c}/songs")).json()["items"]
        assert [(s["title"], s["state"], s["requested_by"]) for s in listed] == [
            ("Penguin Polka", "playing", "amy"), ("Ice Ice Baby", "pending", "bob")]  # fmt: skip
        assert listed[0]["duration"] == 185 and listed[0]["url"] == "https://youtu.be/aaaaaaaaaa0"
        pending = listed[1]["id"]
        refused = await viewer.send("POST", f"/communities/{c}/songs/skip")
        assert refused.status_code == 403 and refused.json()["error"]["details"]["reason"] == "role"

        approved = await mod.send("POST", f"/communities/{c}/songs/{pending}/approve")
        assert approved.status_code == 200, approved.text
        assert approved.json()["state"] == "queued"
        again = await mod.send("POST", f"/communities/{c}/songs/{pending}/approve")
        assert again.status_code == 404  # youtube_music's own answer, passed on

        skipped = await mod.send("POST", f"/communities/{c}/songs/skip")
        assert skipped.status_code == 200, skipped.text
        body = skipped.json()
        assert body["skipped"]["title"] == "Penguin Polka" and body["skipped"]["state"] == "skipped"
        assert body["undo_seconds"] == song_queue.UNDO_SKIP_SECONDS
        assert [(s["title"], s["state"]) for s in body["items"]] == [("Ice Ice Baby", "playing")]

        undone = await mod.send("POST", f"/communities/{c}/songs/undo-skip")
        assert undone.status_code == 200, undone.text
        assert [(s["title"], s["state"]) for s in undone.json()["items"]] == [
            ("Penguin Polka", "playing"), ("Ice Ice Baby", "queued")]  # fmt: skip
        now = (await viewer.get(f"/communities/{c}/songs")).json()["items"]
        assert [s["title"] for s in now] == ["Penguin Polka", "Ice Ice Baby"]

        # The undo window is the server's: a skip older than it cannot be undone.
        assert (await mod.send("POST", f"/communities/{c}/songs/skip")).status_code == 200
        later = song_queue._now() + timedelta(seconds=song_queue.UNDO_SKIP_SECONDS + 1)
        monkeypatch.setattr(song_queue, "_now", lambda: later)
        late = await mod.send("POST", f"/communities/{c}/songs/undo-skip")
        assert late.status_code == 409 and late.json()["error"]["code"] == "conflict"
        monkeypatch.undo()

        entries = (await mod.get(f"/communities/{c}/audit", params={"resource": "songs"})).json()["items"]
        assert [e["action"] for e in entries] == ["skip", "undo_skip", "skip", "approve"]
        assert entries[-1]["resource_id"] == str(pending) and entries[-1]["actor"] == "mod@example.com"

        # Exclusive modules (§12): the one the community enabled serves the screen.
        owner = service_headers("marketplace", issuer="portal")
        off = await pf.fleet.http.put(f"/marketplace/api/v1/communities/{c}/modules/youtube_music", headers=owner,
                                      json={"enabled": False})  # fmt: skip
        assert off.status_code == 200, off.text
        none = await viewer.get(f"/communities/{c}/songs")
        assert none.status_code == 409 and none.json()["error"]["details"]["reason"] == "not_enabled"
        on = await pf.fleet.http.put(f"/marketplace/api/v1/communities/{c}/modules/spotify", headers=owner,
                                     json={"enabled": True})  # fmt: skip
        assert on.status_code == 200, on.text
        assert (await viewer.get(f"/communities/{c}/songs")).json() == {"items": [], "next_cursor": None}
