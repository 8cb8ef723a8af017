"""The YouTube Data API v3: `search` for a query, `videos` for duration and embeddability.

A link (`youtube.com/watch?v=…`, `youtu.be/…`, `music.youtube.com/…`, `/shorts/…`) or a
bare video id is looked up with `videos` (1 quota unit); any other text is searched
(`search`, 100 units, at most 5 results) and the first embeddable, non-live result wins.
A 403 `quotaExceeded` (or `dailyLimitExceeded`) is said in chat as such.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from flask_core import DependencyUnavailable, Resources, get_logger
from flask_core.song_queue import Request, Song, SongError

from .settings import YoutubeMusicSettings

log = get_logger(__name__)
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtu.be", "www.youtu.be")
QUOTA = ("quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded")


def parse_duration(value: str) -> int:
    """ISO 8601 (`PT1H2M3S`, `P1DT2S`) → seconds; 0 for a live stream (`P0D`) or junk."""
    found = DURATION.match(value or "")
    if found is None:
        return 0
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def video_id_of(text: str) -> str | None:
    """The video id in a YouTube link (or a bare id), else None."""
    text = text.strip().strip("<>")
    if VIDEO_ID.match(text):
        return text
    parsed = urlparse(text if "://" in text else f"https://{text}")
    host = (parsed.hostname or "").lower()
    if host not in HOSTS:
        return None
    if host.endswith("youtu.be"):
        candidate = parsed.path.strip("/").split("/")[0]
    elif parsed.path.startswith(("/shorts/", "/embed/", "/live/")):
        candidate = parsed.path.split("/")[2] if len(parsed.path.split("/")) > 2 else ""
    else:
        candidate = (parse_qs(parsed.query).get("v") or [""])[0]
    return candidate if VIDEO_ID.match(candidate) else None


class YouTube:
    """The provider of youtube_music's queue (the media overlay plays it)."""

    plays_in_overlay = True

    def __init__(self, settings: YoutubeMusicSettings) -> None:
        self.settings = settings

    async def _get(self, res: Resources, resource: str, params: dict[str, str]) -> dict[str, Any]:
        if not self.settings.youtube_api_key:
            raise SongError("Song requests are not set up here yet (no YouTube API key).")
        url = f"{self.settings.youtube_api_url.rstrip('/')}/{resource}"
        try:
            response = await res.http.for_service("youtube_music").request(
                "GET", url, params={**params, "key": self.settings.youtube_api_key},
                timeout=self.settings.youtube_timeout, breaker_key="youtube",
            )  # fmt: skip
        except DependencyUnavailable:
            raise SongError("YouTube is not answering right now. Try again later.") from None
        body: Any = response.json() if response.content else {}
        if response.status_code == 403 and _reasons(body) & set(QUOTA):
            log.warning("youtube.quota_exceeded")
            raise SongError("YouTube's request quota for today is used up. Song requests are back tomorrow.")
        if response.status_code >= 400:
            log.warning("youtube.error", status=response.status_code, reasons=sorted(_reasons(body)))
            raise SongError("YouTube refused that request.")
        return body if isinstance(body, dict) else {}

    async def find(self, res: Resources, community_id: int, query: str) -> Song:
        video_id = video_id_of(query)
        if video_id is not None:
            ids = [video_id]
        else:
            params = {
                "part": "snippet",
                "q": query,
                "type": "video",
                "maxResults": "5",
                "videoEmbeddable": "true",
            }
            found = await self._get(res, "search", params)
            ids = [i["id"]["videoId"] for i in found.get("items", []) if isinstance(i.get("id"), dict)
                   and VIDEO_ID.match(str(i["id"].get("videoId", "")))]  # fmt: skip
            if not ids:
                raise SongError("No video found for that.")
        videos = await self._get(
            res, "videos", {"part": "snippet,contentDetails,status", "id": ",".join(ids)}
        )
        by_id = {v.get("id"): v for v in videos.get("items", [])}
        for candidate in ids:
            video = by_id.get(candidate)
            if video is None:
                continue
            status, snippet = video.get("status") or {}, video.get("snippet") or {}
            duration = parse_duration((video.get("contentDetails") or {}).get("duration", ""))
            if not status.get("embeddable", False) or duration <= 0:
                continue
            return Song(
                song_id=candidate, title=str(snippet.get("title", ""))[:300],
                channel=str(snippet.get("channelTitle", ""))[:300], duration=duration,
                url=f"https://youtu.be/{candidate}", channel_id=str(snippet.get("channelId", "")),
            )  # fmt: skip
        if video_id is not None and video_id not in by_id:
            raise SongError("That video does not exist (or is private).")
        raise SongError("That video cannot be played here (not embeddable, or live).")

    async def accepted(self, res: Resources, request: Request) -> None:
        return None  # the media overlay plays the queue

    async def skipped(self, res: Resources, request: Request) -> None:
        return None

    async def current(self, res: Resources, community_id: int) -> Song | None:
        return None  # never asked: the queue itself says what the overlay plays


def _reasons(body: Any) -> set[str]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return set()
    return {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict)}
