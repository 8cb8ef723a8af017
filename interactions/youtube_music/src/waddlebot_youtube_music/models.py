"""The youtube_music tables: the shared song queue's, under this service's prefix."""

from __future__ import annotations

from typing import Any

from flask_core import song_queue


def define_tables(db: Any) -> None:
    """`youtube_music_requests`, `youtube_music_settings`, `youtube_music_votes`."""
    song_queue.define_tables(db, "youtube_music")
