"""create_app for the gateway_admin service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources
from flask_core import create_app as core_create_app

from .models import define_tables
from .routes import bp
from .settings import GatewayAdminSettings

PREFIX = "gateway_admin"


def create_app(settings: GatewayAdminSettings | None = None, resources: Resources | None = None) -> Quart:
    """The gateway_admin app: its REST API under `/gateway_admin` (serve `module_blueprint(SPEC)` to add commands)."""
    settings = settings or GatewayAdminSettings()
    return core_create_app(PREFIX, settings, [bp], PREFIX, resources=resources, models=[define_tables])
