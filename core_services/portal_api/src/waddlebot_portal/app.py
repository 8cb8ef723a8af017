"""create_app for the portal service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources
from flask_core import create_app as core_create_app

from .models import define_tables
from .routes import bp
from .settings import PortalSettings

PREFIX = "portal"


def create_app(settings: PortalSettings | None = None, resources: Resources | None = None) -> Quart:
    """The portal app: its REST API under `/portal` (serve `module_blueprint(SPEC)` to add commands)."""
    settings = settings or PortalSettings()
    return core_create_app(PREFIX, settings, [bp], PREFIX, resources=resources, models=[define_tables])
