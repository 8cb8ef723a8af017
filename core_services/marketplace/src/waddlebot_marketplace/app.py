"""create_app for the marketplace: its REST API, `!module enable|disable`, the catalogue."""

from __future__ import annotations

import asyncio

from quart import Quart

from flask_core import Resources, module_blueprint
from flask_core import create_app as core_create_app
from flask_core.app import resources as app_resources
from flask_core.supervise import cancel_and_wait

from . import catalogue
from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import MarketplaceSettings

PREFIX = "marketplace"


def create_app(settings: MarketplaceSettings | None = None, resources: Resources | None = None) -> Quart:
    settings = settings or MarketplaceSettings()
    app = core_create_app(
        PREFIX, settings, [module_blueprint(SPEC), bp], PREFIX, resources=resources, models=[define_tables]
    )

    @app.before_serving
    async def _start_catalogue() -> None:
        task = asyncio.create_task(catalogue.run_forever(app_resources(app), settings))
        app.extensions["marketplace.catalogue_task"] = task

    @app.after_serving
    async def _stop_catalogue() -> None:
        task: asyncio.Task[None] | None = app.extensions.pop("marketplace.catalogue_task", None)
        if task is not None:
            await cancel_and_wait(task)

    return app
