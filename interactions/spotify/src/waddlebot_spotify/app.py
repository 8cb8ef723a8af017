"""create_app for the spotify service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources, module_blueprint
from flask_core import create_app as core_create_app

from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import SpotifySettings

PREFIX = "spotify"


def create_app(settings: SpotifySettings | None = None, resources: Resources | None = None) -> Quart:
    """The spotify app: module routes (manifest, commands) and its REST API under `/spotify`."""
    settings = settings or SpotifySettings()
    blueprints = [module_blueprint(SPEC), bp]
    return core_create_app(PREFIX, settings, blueprints, PREFIX, resources=resources, models=[define_tables])
