"""create_app for the community service: its REST API and `!community …` commands."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources, module_blueprint
from flask_core import create_app as core_create_app
from flask_core.app import resources as app_resources
from waddlebot_marketplace.models import define_tables as define_marketplace_tables

from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import CommunitySettings

PREFIX = "community"


def create_app(settings: CommunitySettings | None = None, resources: Resources | None = None) -> Quart:
    settings = settings or CommunitySettings()
    app = core_create_app(
        PREFIX,
        settings,
        [module_blueprint(SPEC), bp],
        PREFIX,
        resources=resources,
        models=[define_tables, define_marketplace_tables],  # provisioning without a marketplace deployed
    )

    @app.before_serving
    async def _keep_settings() -> None:
        app_resources(app).extras["community.settings"] = settings  # in-process command calls read it

    return app
