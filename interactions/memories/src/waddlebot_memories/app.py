"""create_app for the memories service."""

from __future__ import annotations

from quart import Quart

from flask_core import scheduler
from flask_core.app import create_app as core_create_app
from flask_core.module import module_blueprint
from flask_core.resources import Resources

from . import portal_lists, reminders
from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import MemoriesSettings


def create_app(settings: MemoriesSettings | None = None, resources: Resources | None = None) -> Quart:
    """The memories app: module routes (manifest, commands), the quotes REST API, the scheduler."""
    settings = settings or MemoriesSettings()
    app = core_create_app(
        "memories",
        settings,
        [module_blueprint(SPEC), bp, portal_lists.bp],
        "memories",
        resources=resources,
        models=[define_tables, scheduler.define_tables],
    )
    reminders.install(app, settings)
    return app
