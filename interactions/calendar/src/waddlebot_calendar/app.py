"""create_app for the calendar service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources, module_blueprint, scheduler
from flask_core import create_app as core_create_app

from . import notices
from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import CalendarSettings

PREFIX = "calendar"


def create_app(settings: CalendarSettings | None = None, resources: Resources | None = None) -> Quart:
    """The calendar app: module routes, its REST API and feed under `/calendar`, the scheduler."""
    settings = settings or CalendarSettings()
    blueprints = [module_blueprint(SPEC), bp]
    app = core_create_app(
        PREFIX,
        settings,
        blueprints,
        PREFIX,
        resources=resources,
        models=[define_tables, scheduler.define_tables],
    )
    notices.install(app, settings)
    return app
