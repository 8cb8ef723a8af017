"""create_app for the browser_source service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources, module_blueprint
from flask_core import create_app as core_create_app
from flask_core.app import resources as app_resources

from . import service, tokens
from .hub import Hub
from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import BrowserSourceSettings

PREFIX = "browser_source"


def create_app(settings: BrowserSourceSettings | None = None, resources: Resources | None = None) -> Quart:
    """The browser_source app: module routes, the overlay pages and sockets, the overlay API."""
    settings = settings or BrowserSourceSettings()
    blueprints = [module_blueprint(SPEC), bp]
    app = core_create_app(PREFIX, settings, blueprints, PREFIX, resources=resources, models=[define_tables])

    @app.before_serving
    async def _start_hub() -> None:
        res = app_resources(app)
        hub = Hub(res, settings)
        res.extras[service.HUB_KEY] = hub
        res.extras[service.CHECK_KEY] = tokens.TokenCheck(res.db, settings.browser_source_token_cache)
        res.extras[service.SEEN_KEY] = service.Seen(res, settings.browser_source_dedupe_ttl)
        await hub.start()

    @app.after_serving
    async def _stop_hub() -> None:
        res = app_resources(app)
        hub: Hub | None = res.extras.pop(service.HUB_KEY, None)
        if hub is not None:
            await hub.stop()

    return app
