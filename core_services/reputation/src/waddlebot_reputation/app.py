"""create_app for the reputation service."""

from __future__ import annotations

import asyncio
import contextlib

from quart import Quart

from flask_core import Resources, get_logger
from flask_core import create_app as core_create_app
from flask_core.app import resources as resources_of
from flask_core.module import module_blueprint
from flask_core.supervise import supervise

from .accrual import Accrual
from .commands import ACCRUAL
from .manifest import SPEC
from .models import define_tables
from .routes import bp
from .settings import ReputationSettings

PREFIX = "reputation"
log = get_logger(__name__)


def create_app(settings: ReputationSettings | None = None, resources: Resources | None = None) -> Quart:
    """The reputation app: its chat commands and events, its REST API, the chat flusher."""
    settings = settings or ReputationSettings()
    app = core_create_app(
        PREFIX, settings, [module_blueprint(SPEC), bp], PREFIX, resources=resources, models=[define_tables]
    )

    @app.before_serving
    async def _accrual() -> None:
        res = resources_of(app)
        res.extras[ACCRUAL] = app.extensions[ACCRUAL] = Accrual(res, settings.reputation_resolve_ttl)

    async def flusher() -> None:
        accrual = app.extensions[ACCRUAL]
        try:
            while True:
                await asyncio.sleep(settings.reputation_flush_interval)
                await accrual.flush()
        finally:  # stopping: write the last window
            with contextlib.suppress(Exception):
                await asyncio.shield(accrual.flush())

    supervise(app, "chat_flusher", flusher)
    return app
