"""youtube_music settings: the core names of ARCHITECTURE §2 plus the YouTube Data API's (§11)."""

from __future__ import annotations

from flask_core import CoreSettings


class YoutubeMusicSettings(CoreSettings):
    """`YOUTUBE_API_KEY` (without it `!sr` says song requests are not set up) and
    `YOUTUBE_API_URL` (a local fake in tests)."""

    youtube_api_key: str | None = None
    youtube_api_url: str = "https://www.googleapis.com/youtube/v3"
    youtube_timeout: float = 4.0
