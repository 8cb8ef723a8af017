"""create_app for the youtube_music service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources, module_blueprint
from flask_core import create_app as core_create_app

from .manifest import build
from .models import define_tables
from .routes import blueprint
from .settings import YoutubeMusicSettings

PREFIX = "youtube_music"


def create_app(settings: YoutubeMusicSettings | None = None, resources: Resources | None = None) -> Quart:
    """Song requests (module routes) and the queue API (`…/communities/{id}/queue`, `…/settings`)."""
    settings = settings or YoutubeMusicSettings()
    queue, spec = build(settings)
    blueprints = [module_blueprint(spec), blueprint(queue)]
    app = core_create_app(PREFIX, settings, blueprints, PREFIX, resources=resources, models=[define_tables])
    app.extensions["music.queue"] = queue
    return app
