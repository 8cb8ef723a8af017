"""The only module-level app, for hypercorn: `hypercorn waddlebot_marketplace.asgi:app`."""

from __future__ import annotations

from .app import create_app

app = create_app()
