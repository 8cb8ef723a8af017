"""create_app for the youtube_music service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources, module_blueprint
from flask_core import create_app as core_create_app

from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import YoutubeMusicSettings

PREFIX = "youtube_music"


def create_app(settings: YoutubeMusicSettings | None = None, resources: Resources | None = None) -> Quart:
    """The youtube_music app: module routes (manifest, commands) and its REST API under `/youtube_music`."""
    settings = settings or YoutubeMusicSettings()
    blueprints = [module_blueprint(SPEC), bp]
    return core_create_app(PREFIX, settings, blueprints, PREFIX, resources=resources, models=[define_tables])
