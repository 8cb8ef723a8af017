"""A fake YouTube Data API v3 (recorded response shapes) and a fleet: router, youtube_music,
browser_source, with an overlay socket on `now_playing` and `media`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded, free_tcp_port, release_tcp_port
from waddlebot_browser_source.app import create_app as create_browser_source
from waddlebot_browser_source.settings import BrowserSourceSettings
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_youtube_music.app import create_app as create_youtube_music
from waddlebot_youtube_music.settings import YoutubeMusicSettings

KEY = "test-youtube-key"
QUOTA = {
    "error": {
        "code": 403,
        "message": "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
        "errors": [{"message": "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
                    "domain": "youtube.quota", "reason": "quotaExceeded"}],
    }
}  # fmt: skip


class FakeYouTube:
    """`search` and `videos` as the Data API answers them; videos added with `add`."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.videos: dict[str, dict[str, Any]] = {}
        self.quota_left = 10_000
        self.server.route("GET", "/youtube/v3/search", self.search)
        self.server.route("GET", "/youtube/v3/videos", self.list_videos)

    @property
    def url(self) -> str:
        return f"{self.server.url}/youtube/v3"

    def add(self, video_id: str, title: str, *, channel: str = "Some Channel", duration: str = "PT3M30S",
            embeddable: bool = True, channel_id: str = "UC0000000000000000000000") -> None:  # fmt: skip
        self.videos[video_id] = {
            "kind": "youtube#video", "etag": uuid.uuid4().hex, "id": video_id,
            "snippet": {"publishedAt": "2009-10-25T06:57:33Z", "channelId": channel_id, "title": title,
                        "description": "", "thumbnails": {}, "channelTitle": channel, "categoryId": "10",
                        "liveBroadcastContent": "none"},
            "contentDetails": {"duration": duration, "dimension": "2d", "definition": "hd", "caption": "false",
                               "licensedContent": True, "contentRating": {}, "projection": "rectangular"},
            "status": {"uploadStatus": "processed", "privacyStatus": "public", "license": "youtube",
                       "embeddable": embeddable, "publicStatsViewable": True, "madeForKids": False},
        }  # fmt: skip

    def _spend(self, call: Recorded, units: int) -> web.Response | None:
        if call.query.get("key") != KEY:
            body = {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                              "errors": [{"message": "API key not valid.", "domain": "global", "reason": "badRequest"}]}}  # fmt: skip
            return web.json_response(body, status=400)
        if self.quota_left < units:
            return web.json_response(QUOTA, status=403)
        self.quota_left -= units
        return None

    async def search(self, call: Recorded) -> web.Response:
        refused = self._spend(call, 100)
        if refused is not None:
            return refused
        words = call.query.get("q", "").casefold().split()
        hits = [v for v in self.videos.values() if all(w in v["snippet"]["title"].casefold() for w in words)]
        items = [{"kind": "youtube#searchResult", "etag": uuid.uuid4().hex,
                  "id": {"kind": "youtube#video", "videoId": v["id"]}, "snippet": v["snippet"]}
                 for v in hits[: int(call.query.get("maxResults", "5"))]]  # fmt: skip
        return web.json_response({"kind": "youtube#searchListResponse", "etag": uuid.uuid4().hex,
                                  "regionCode": "US", "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
                                  "items": items})  # fmt: skip

    async def list_videos(self, call: Recorded) -> web.Response:
        refused = self._spend(call, 1)
        if refused is not None:
            return refused
        items = [self.videos[i] for i in call.query.get("id", "").split(",") if i in self.videos]
        return web.json_response({"kind": "youtube#videoListResponse", "etag": uuid.uuid4().hex,
                                  "items": items, "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})  # fmt: skip


@pytest_asyncio.fixture
async def fake_youtube() -> AsyncIterator[FakeYouTube]:
    fake = FakeYouTube()
    async with fake.server.serving():
        yield fake


def event(
    text: str, *, user: str = "amy", roles: list[str] | None = None, server: str = "chan1"
) -> dict[str, Any]:
    return {
        "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": server, "channel_id": server,
        "user": {"platform_user_id": f"id-{user}", "username": user, "display_name": user.title(),
                 "roles": roles or []},
        "type": "chat_message", "text": text, "reply": {"kind": "inline"},
    }  # fmt: skip


class Music:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    async def say(self, text: str, **kwargs: Any) -> str:
        answer = await self.fleet.post(event(text, **kwargs))
        assert answer.status_code == 200, answer.text
        return " | ".join(r.get("text", "") for r in answer.json()["responses"])


@pytest.fixture
def music_fleet(make_settings: Any, backend: dict[str, Any]) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(module: Callable[[dict[str, Any]], Any], name: str) -> AsyncIterator[Music]:
        port = free_tcp_port()
        common = {"port": port, "default_modules": [name, "browser_source"], **backend}
        router = make_settings(RouterSettings, router_manifest_interval=0.5, **common)
        apps = {"router": create_router(router), name: module(common),
                "browser_source": create_browser_source(make_settings(BrowserSourceSettings, **common))}  # fmt: skip
        try:
            async with run_fleet(router, apps) as fleet:
                yield Music(fleet)
        finally:
            release_tcp_port(port)

    return start


@pytest.fixture
def youtube_music(make_settings: Any, fake_youtube: FakeYouTube) -> Callable[[dict[str, Any]], Any]:
    def build(common: dict[str, Any]) -> Any:
        return create_youtube_music(
            make_settings(
                YoutubeMusicSettings, youtube_api_key=KEY, youtube_api_url=fake_youtube.url, **common
            )
        )

    return build
