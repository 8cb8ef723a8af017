"""The only module-level app, for hypercorn: `hypercorn waddlebot_youtube_music.asgi:app`."""

from __future__ import annotations

from .app import create_app

app = create_app()
