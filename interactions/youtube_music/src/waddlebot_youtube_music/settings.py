"""Youtube music settings: the core names of ARCHITECTURE §2 plus this service's own (YOUTUBE_MUSIC_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class YoutubeMusicSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    youtube_music_max_items: int = 100  # YOUTUBE_MUSIC_MAX_ITEMS: items listed at most per answer
