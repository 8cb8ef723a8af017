"""The only module-level app, for hypercorn: `hypercorn waddlebot_identity.asgi:app`."""

from __future__ import annotations

from .app import create_app

app = create_app()
