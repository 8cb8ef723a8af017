"""create_app for the inventory service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources, module_blueprint, scheduler
from flask_core import create_app as core_create_app

from . import overdue
from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import InventorySettings

PREFIX = "inventory"


def create_app(settings: InventorySettings | None = None, resources: Resources | None = None) -> Quart:
    """The inventory app: module routes, its REST API under `/inventory`, the overdue scheduler."""
    settings = settings or InventorySettings()
    blueprints = [module_blueprint(SPEC), bp]
    app = core_create_app(
        PREFIX,
        settings,
        blueprints,
        PREFIX,
        resources=resources,
        models=[define_tables, scheduler.define_tables],
    )
    overdue.install(app, settings)
    return app
