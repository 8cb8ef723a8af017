"""create_app for the router."""

from __future__ import annotations

import asyncio
import contextlib

from quart import Quart

from flask_core.app import create_app as core_create_app
from flask_core.app import resources as app_resources
from flask_core.resources import Resources

from .builtins import MANIFEST
from .communities import ensure_demo_community
from .models import DEFINERS
from .registry import ModuleRegistry
from .routes import bp
from .service import Router
from .settings import RouterSettings


def create_app(settings: RouterSettings | None = None, resources: Resources | None = None) -> Quart:
    settings = settings or RouterSettings()
    app = core_create_app("router", settings, [bp], "router", resources=resources, models=DEFINERS)

    @app.before_serving
    async def _start_router() -> None:
        res = app_resources(app)
        registry = ModuleRegistry(res, settings, MANIFEST)
        app.extensions["router.service"] = Router(res, settings, registry)
        app.extensions["router.registry_task"] = asyncio.create_task(registry.run_forever())
        if settings.env == "dev":
            await ensure_demo_community(res, settings)

    @app.after_serving
    async def _stop_router() -> None:
        task: asyncio.Task[None] | None = app.extensions.pop("router.registry_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        router: Router | None = app.extensions.pop("router.service", None)
        if router is not None:
            await router.aclose()

    return app
