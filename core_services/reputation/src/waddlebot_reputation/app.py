"""create_app for the reputation service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources
from flask_core import create_app as core_create_app

from .models import define_tables
from .routes import bp
from .settings import ReputationSettings

PREFIX = "reputation"


def create_app(settings: ReputationSettings | None = None, resources: Resources | None = None) -> Quart:
    """The reputation app: its REST API under `/reputation` (serve `module_blueprint(SPEC)` to add commands)."""
    settings = settings or ReputationSettings()
    return core_create_app(PREFIX, settings, [bp], PREFIX, resources=resources, models=[define_tables])
