"""A fake Spotify (accounts service + Web API, real response shapes) for the spotify tests."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded
from waddlebot_spotify.app import create_app as create_spotify
from waddlebot_spotify.settings import SpotifySettings

CLIENT_ID, CLIENT_SECRET = "spotify-client-id", "spotify-client-secret"


def track(track_id: str, name: str, artist: str, seconds: int = 213) -> dict[str, Any]:
    return {
        "album": {"album_type": "album", "id": "6XzwJDmVDLAmvTjWMgaNxm", "name": f"{name} (album)", "images": [],
                  "release_date": "1987-11-12", "type": "album", "uri": "spotify:album:6XzwJDmVDLAmvTjWMgaNxm"},
        "artists": [{"external_urls": {"spotify": "https://open.spotify.com/artist/0gxyHStUsqpMadRV0Di1Qt"},
                     "href": "https://api.spotify.com/v1/artists/0gxyHStUsqpMadRV0Di1Qt",
                     "id": "0gxyHStUsqpMadRV0Di1Qt", "name": artist, "type": "artist",
                     "uri": "spotify:artist:0gxyHStUsqpMadRV0Di1Qt"}],
        "disc_number": 1, "duration_ms": seconds * 1000, "explicit": False,
        "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
        "href": f"https://api.spotify.com/v1/tracks/{track_id}", "id": track_id, "is_local": False,
        "name": name, "popularity": 79, "track_number": 1, "type": "track", "uri": f"spotify:track:{track_id}",
    }  # fmt: skip


class FakeSpotify:
    """`/authorize`, `/api/token`, and `/v1` search, tracks, queue, next, currently-playing."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.tracks: dict[str, dict[str, Any]] = {}
        self.codes: set[str] = set()
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.token_requests: list[dict[str, str]] = []
        self.queue: list[str] = []
        self.playing: str | None = None
        self.device = True
        for method, path, handler in (
            ("POST", "/api/token", self.token), ("GET", "/v1/search", self.search),
            ("POST", "/v1/me/player/queue", self.add),
            ("POST", "/v1/me/player/next", self.next), ("GET", "/v1/me/player/currently-playing", self.current),
        ):  # fmt: skip
            self.server.route(method, path, handler)
        self.server.default = self.get_track  # type: ignore[method-assign]  # GET /v1/tracks/<id>

    @property
    def auth_url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        return f"{self.server.url}/v1"

    def add_track(self, track_id: str, name: str, artist: str = "Rick Astley", seconds: int = 213) -> None:
        self.tracks[track_id] = track(track_id, name, artist, seconds)

    def expire_tokens(self) -> None:
        """Every access token given so far stops working (the refresh tokens still do)."""
        self.access.clear()

    def _issue(self, with_refresh: bool) -> dict[str, Any]:
        access = f"BQ{uuid.uuid4().hex}"
        self.access.add(access)
        body = {"access_token": access, "token_type": "Bearer", "expires_in": 3600,
                "scope": "user-read-currently-playing user-read-playback-state user-modify-playback-state"}  # fmt: skip
        if with_refresh:
            refresh = f"AQ{uuid.uuid4().hex}"
            self.refresh.add(refresh)
            body["refresh_token"] = refresh
        return body

    async def token(self, call: Recorded) -> web.Response:
        form = call.form
        self.token_requests.append(form)
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if call.headers.get("Authorization") != expected:
            return web.json_response(
                {"error": "invalid_client", "error_description": "Invalid client"}, status=400
            )
        if form.get("grant_type") == "authorization_code" and form.get("code") in self.codes:
            self.codes.discard(form["code"])
            return web.json_response(self._issue(with_refresh=True))
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self.refresh:
            return web.json_response(self._issue(with_refresh=False))  # Spotify often keeps the refresh token
        return web.json_response({"error": "invalid_grant", "error_description": "Invalid authorization code"},
                                 status=400)  # fmt: skip

    def _authorised(self, call: Recorded) -> web.Response | None:
        if call.headers.get("Authorization", "").removeprefix("Bearer ") in self.access:
            return None
        return web.json_response(
            {"error": {"status": 401, "message": "The access token expired"}}, status=401
        )

    async def search(self, call: Recorded) -> web.Response:
        if (refused := self._authorised(call)) is not None:
            return refused
        words = call.query.get("q", "").casefold().split()
        hits = [t for t in self.tracks.values() if all(w in t["name"].casefold() for w in words)]
        limit = int(call.query.get("limit", "20"))
        return web.json_response({"tracks": {
            "href": f"{self.api_url}/search", "items": hits[:limit], "limit": limit, "next": None, "offset": 0,
            "previous": None, "total": len(hits)}})  # fmt: skip

    async def get_track(self, call: Recorded) -> web.Response:
        if (refused := self._authorised(call)) is not None:
            return refused
        if not call.path.startswith("/v1/tracks/"):
            return web.json_response({"error": {"status": 404, "message": "Service not found"}}, status=404)
        found = self.tracks.get(call.path.rsplit("/", 1)[-1])
        if found is None:
            return web.json_response({"error": {"status": 404, "message": "Non existing id"}}, status=404)
        return web.json_response(found)

    def _no_device(self) -> web.Response:
        body = {"error": {"status": 404, "message": "Player command failed: No active device found",
                          "reason": "NO_ACTIVE_DEVICE"}}  # fmt: skip
        return web.json_response(body, status=404)

    async def add(self, call: Recorded) -> web.Response:
        if (refused := self._authorised(call)) is not None:
            return refused
        if not self.device:
            return self._no_device()
        self.queue.append(call.query["uri"])
        return web.Response(status=204)

    async def next(self, call: Recorded) -> web.Response:
        if (refused := self._authorised(call)) is not None:
            return refused
        if not self.device:
            return self._no_device()
        self.advance()
        return web.Response(status=204)

    def advance(self) -> None:
        """The device moves to the next song of its queue (a song ended, or next)."""
        self.playing = self.queue.pop(0) if self.queue else None

    async def current(self, call: Recorded) -> web.Response:
        if (refused := self._authorised(call)) is not None:
            return refused
        if self.playing is None:
            return web.Response(status=204)
        item = self.tracks[self.playing.removeprefix("spotify:track:")]
        return web.json_response({
            "timestamp": 1733050000000, "context": None, "progress_ms": 1200, "item": item,
            "currently_playing_type": "track", "actions": {"disallows": {"resuming": True}}, "is_playing": True})  # fmt: skip


@pytest_asyncio.fixture
async def fake_spotify() -> AsyncIterator[FakeSpotify]:
    fake = FakeSpotify()
    async with fake.server.serving():
        yield fake


@pytest.fixture
def spotify(make_settings: Any, fake_spotify: FakeSpotify) -> Callable[[dict[str, Any]], Any]:
    def build(common: dict[str, Any]) -> Any:
        return create_spotify(make_settings(
            SpotifySettings, spotify_client_id=CLIENT_ID, spotify_client_secret=CLIENT_SECRET,
            spotify_api_url=fake_spotify.api_url, spotify_auth_url=fake_spotify.auth_url,
            spotify_poll_interval=0.1, public_url="https://bot.example.com", **common,
        ))  # fmt: skip

    return build
