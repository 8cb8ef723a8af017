"""Spotify: authorization-code OAuth with refresh per community, search, the device's queue.

OAuth is built from authlib's protocol pieces (`prepare_grant_uri`, `OAuth2Token`,
`generate_token`) over the shared httpx client, not authlib's httpx integration (it warns
on import; PITFALLS). A 401 from the Web API refreshes the community's token once and
retries once. A community without a connected account hears "ask the streamer to
connect Spotify".
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import OAuth2Token  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri  # type: ignore[import-untyped]

from flask_core import DependencyUnavailable, Resources, get_logger
from flask_core.song_queue import Request, Song, SongError

from .settings import SpotifySettings

log = get_logger(__name__)
SCOPES = "user-read-currently-playing user-read-playback-state user-modify-playback-state"
TRACK_ID = re.compile(r"^[A-Za-z0-9]{22}$")
NOT_CONNECTED = "Spotify is not connected here: ask the streamer to connect Spotify in the portal."


def track_id_of(text: str) -> str | None:
    """`spotify:track:<id>` or `https://open.spotify.com/[intl-xx/]track/<id>` → the id."""
    text = text.strip().strip("<>")
    if text.startswith("spotify:track:"):
        candidate = text.removeprefix("spotify:track:")
        return candidate if TRACK_ID.match(candidate) else None
    parsed = urlparse(text if "://" in text else f"https://{text}")
    if (parsed.hostname or "").lower() != "open.spotify.com":
        return None
    parts = [p for p in parsed.path.split("/") if p and not p.startswith("intl-")]
    if len(parts) >= 2 and parts[0] == "track" and TRACK_ID.match(parts[1]):
        return parts[1]
    return None


def song_of(track: dict[str, Any]) -> Song:
    artists = ", ".join(str(a.get("name", "")) for a in track.get("artists", []) if isinstance(a, dict))
    first = next((a for a in track.get("artists", []) if isinstance(a, dict)), {})
    return Song(
        song_id=str(track.get("uri", "")), title=str(track.get("name", ""))[:300], channel=artists[:300],
        duration=int(track.get("duration_ms", 0)) // 1000,
        url=str((track.get("external_urls") or {}).get("spotify", "")), channel_id=str(first.get("id", "")),
    )  # fmt: skip


class Accounts:
    """The connected account of each community: tokens, refresh, the OAuth dance."""

    def __init__(self, settings: SpotifySettings) -> None:
        self.settings = settings
        self._locks: dict[int, asyncio.Lock] = {}

    @property
    def redirect_uri(self) -> str:
        base = (self.settings.public_url or self.settings.self_url).rstrip("/")
        return f"{base}/spotify/oauth/callback"

    def _basic(self) -> str:
        pair = f"{self.settings.spotify_client_id}:{self.settings.spotify_client_secret}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    async def authorize_url(self, res: Resources, community_id: int) -> str:
        if not self.settings.spotify_client_id or not self.settings.spotify_client_secret:
            raise SongError(
                "Spotify is not set up on this server (SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET)."
            )
        state = generate_token(32)
        await res.cache.set(f"spotify:state:{state}", community_id, self.settings.spotify_state_ttl)
        uri: str = prepare_grant_uri(
            f"{self.settings.spotify_auth_url.rstrip('/')}/authorize", self.settings.spotify_client_id,
            "code", redirect_uri=self.redirect_uri, scope=SCOPES, state=state,
        )  # fmt: skip
        return uri

    async def _token_request(self, res: Resources, form: dict[str, str]) -> OAuth2Token:
        try:
            response = await res.http.for_service("spotify").request(
                "POST", f"{self.settings.spotify_auth_url.rstrip('/')}/api/token",
                content="&".join(f"{k}={_quote(v)}" for k, v in form.items()).encode(),
                headers={"Authorization": self._basic(), "Content-Type": "application/x-www-form-urlencoded"},
                timeout=self.settings.spotify_timeout, retries=0, breaker_key="spotify-accounts",
            )  # fmt: skip
        except DependencyUnavailable:
            raise SongError("Spotify is not answering right now. Try again later.") from None
        body = response.json() if response.content else {}
        if response.status_code != 200 or "access_token" not in body:
            log.warning("spotify.token_refused", status=response.status_code, error=body.get("error"))
            raise SongError(NOT_CONNECTED)
        return OAuth2Token.from_dict(body)

    async def connect(self, res: Resources, state: str, code: str) -> int:
        community = await res.cache.get(f"spotify:state:{state}")
        if not isinstance(community, int):
            raise SongError("That Spotify sign-in link expired; start again from the portal.")
        await res.cache.invalidate(f"spotify:state:{state}")
        token = await self._token_request(res, {"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": self.redirect_uri})  # fmt: skip
        await res.db.run(_store, community, token, None)
        log.info("spotify.connected", community_id=community)
        return community

    async def token(self, res: Resources, community_id: int) -> OAuth2Token:
        row = await res.db.read(_load, community_id)
        if row is None:
            raise SongError(NOT_CONNECTED)
        token = OAuth2Token.from_dict(row)
        if token.is_expired(leeway=30):
            token = await self.refresh(res, community_id, token)
        return token

    async def refresh(self, res: Resources, community_id: int, token: OAuth2Token) -> OAuth2Token:
        """A new access token, once: callers that met the same expired token share it."""
        lock = self._locks.setdefault(community_id, asyncio.Lock())
        async with lock:
            stored = await res.db.read(_load, community_id)
            if stored is not None and stored["access_token"] != token.get("access_token"):
                return OAuth2Token.from_dict(stored)  # another caller refreshed meanwhile
            return await self._refresh(res, community_id, token)

    async def _refresh(self, res: Resources, community_id: int, token: OAuth2Token) -> OAuth2Token:
        refresh = token.get("refresh_token")
        if not refresh:
            raise SongError(NOT_CONNECTED)
        fresh = await self._token_request(res, {"grant_type": "refresh_token", "refresh_token": refresh})
        await res.db.run(_store, community_id, fresh, refresh)  # Spotify may not send a new refresh token
        log.info("spotify.token_refreshed", community_id=community_id)
        return OAuth2Token.from_dict({**fresh, "refresh_token": fresh.get("refresh_token") or refresh})

    async def disconnect(self, res: Resources, community_id: int) -> bool:
        removed: bool = await res.db.run(_delete, community_id)
        return removed

    async def connected(self, res: Resources) -> list[int]:
        found: list[int] = await res.db.read(_communities)
        return found


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _store(d: Any, community_id: int, token: OAuth2Token, old_refresh: str | None) -> None:
    table = d.spotify_accounts
    expires = token.get("expires_at") or (time.time() + float(token.get("expires_in") or 3600))
    table.update_or_insert(
        table.community_id == community_id, community_id=community_id,
        access_token=token["access_token"], refresh_token=token.get("refresh_token") or old_refresh,
        expires_at=float(expires), scope=str(token.get("scope") or "")[:500],
        connected_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
    )  # fmt: skip


def _load(d: Any, community_id: int) -> dict[str, Any] | None:
    row = d(d.spotify_accounts.community_id == community_id).select().first()
    if row is None or not row.access_token:
        return None
    return {"access_token": row.access_token, "refresh_token": row.refresh_token, "token_type": "Bearer",
            "expires_at": int(row.expires_at or 0)}  # fmt: skip


def _delete(d: Any, community_id: int) -> bool:
    return bool(d(d.spotify_accounts.community_id == community_id).delete())


def _communities(d: Any) -> list[int]:
    return [int(r.community_id) for r in d(d.spotify_accounts.id > 0).select(d.spotify_accounts.community_id)]


class Spotify:
    """The provider of spotify's queue: the streamer's own player plays it."""

    plays_in_overlay = False

    def __init__(self, settings: SpotifySettings, accounts: Accounts) -> None:
        self.settings, self.accounts = settings, accounts

    async def api(self, res: Resources, community_id: int, method: str, path: str,
                  params: dict[str, str] | None = None) -> tuple[int, Any]:  # fmt: skip
        """One Web API call; a 401 refreshes the token once and tries once more."""
        token = await self.accounts.token(res, community_id)
        for attempt in (1, 2):
            try:
                response = await res.http.for_service("spotify").request(
                    method, f"{self.settings.spotify_api_url.rstrip('/')}{path}", params=params,
                    headers={"Authorization": f"Bearer {token['access_token']}"},
                    timeout=self.settings.spotify_timeout, retries=0, breaker_key="spotify",
                )  # fmt: skip
            except DependencyUnavailable:
                raise SongError("Spotify is not answering right now. Try again later.") from None
            if response.status_code == 401 and attempt == 1:
                token = await self.accounts.refresh(res, community_id, token)
                continue
            body = response.json() if response.content else None
            return response.status_code, body
        raise SongError(NOT_CONNECTED)

    async def find(self, res: Resources, community_id: int, query: str) -> Song:
        track_id = track_id_of(query)
        if track_id is not None:
            status, body = await self.api(res, community_id, "GET", f"/tracks/{track_id}")
            if status == 404:
                raise SongError("That Spotify track does not exist.")
            _check(status, body)
            return song_of(body)
        status, body = await self.api(res, community_id, "GET", "/search",
                                      {"q": query, "type": "track", "limit": "1"})  # fmt: skip
        _check(status, body)
        items = ((body or {}).get("tracks") or {}).get("items") or []
        if not items:
            raise SongError("No track found for that.")
        return song_of(items[0])

    async def accepted(self, res: Resources, request: Request) -> None:
        status, body = await self.api(res, request.community_id, "POST", "/me/player/queue",
                                      {"uri": request.song.song_id})  # fmt: skip
        if status == 404:
            raise SongError("Spotify has no active device: the streamer needs to start playing first.")
        _check(status, body)

    async def skipped(self, res: Resources, request: Request) -> None:
        status, body = await self.api(res, request.community_id, "POST", "/me/player/next")
        if status == 404:
            raise SongError("Spotify has no active device.")
        _check(status, body)

    async def current(self, res: Resources, community_id: int) -> Song | None:
        status, body = await self.api(res, community_id, "GET", "/me/player/currently-playing")
        if status == 204 or not body:
            return None
        _check(status, body)
        item = body.get("item")
        if not isinstance(item, dict) or not body.get("is_playing", True):
            return None
        return song_of(item)


def _check(status: int, body: Any) -> None:
    if status == 429:
        raise SongError("Spotify is busy; try again in a minute.")
    if status == 403:
        raise SongError("Spotify refused: the streamer's account needs Premium for the queue.")
    if status >= 400:
        message = ((body or {}).get("error") or {}).get("message") if isinstance(body, dict) else None
        log.warning("spotify.error", status=status, message=message)
        raise SongError("Spotify refused that request.")
