"""The only module-level app, for hypercorn: `hypercorn waddlebot_community.asgi:app`."""

from __future__ import annotations

from .app import create_app

app = create_app()
