"""create_app for the identity service."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources
from flask_core import create_app as core_create_app
from flask_core.app import resources as resources_of
from flask_core.module import module_blueprint
from flask_core.supervise import supervise

from . import service
from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import IdentitySettings

PREFIX = "identity"


def create_app(settings: IdentitySettings | None = None, resources: Resources | None = None) -> Quart:
    """The identity app: its chat commands, its REST API, and the merge notifier."""
    settings = settings or IdentitySettings()
    app = core_create_app(
        PREFIX, settings, [module_blueprint(SPEC), bp], PREFIX, resources=resources, models=[define_tables]
    )

    async def notifier() -> None:
        """Merges reputation has not confirmed yet (it was down): retried until it has."""
        import asyncio

        res = resources_of(app)
        while True:
            await asyncio.sleep(settings.identity_merge_retry)
            await service.notify_merges(res)

    supervise(app, "merge_notifier", notifier)
    return app
