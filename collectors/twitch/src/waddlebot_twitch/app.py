"""create_app for the Twitch collector (prefix /twitch)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from quart import Quart

from flask_core import outbox, platform_tokens
from flask_core.app import add_ready_check
from flask_core.app import create_app as core_create_app
from flask_core.app import resources as app_resources
from flask_core.delivery import SERVICE_KEY, CollectorStatus, delivery_blueprint
from flask_core.logging import get_logger
from flask_core.resources import Resources

from .models import define_tables
from .routes import bp
from .runtime import RUNTIME_KEY, TwitchRuntime
from .settings import REQUIRED, TwitchSettings

log = get_logger(__name__)


def create_app(settings: TwitchSettings | None = None, resources: Resources | None = None) -> Quart:
    settings = settings or TwitchSettings()
    app = core_create_app(
        "twitch",
        settings,
        [bp, delivery_blueprint("twitch")],
        "twitch",
        resources=resources,
        models=[outbox.define_tables, platform_tokens.define_tables, define_tables],
    )
    status = CollectorStatus.check("twitch", settings, REQUIRED)
    status.install(app)

    async def outbox_ready(res: Resources) -> tuple[bool, str]:
        rt: TwitchRuntime | None = app.extensions.get(RUNTIME_KEY)
        if rt is None:
            return False, "not running"
        pending = await rt.outbox.pending()
        return rt.worker.running, f"worker {'running' if rt.worker.running else 'stopped'}, {pending} pending"

    add_ready_check(app, "twitch_outbox", outbox_ready, required=False)

    # while_serving runs after the core opens Resources and stops before it closes them.
    @app.while_serving
    async def _lifespan() -> AsyncGenerator[None]:
        if not status.enabled:
            log.warning("collector.disabled", platform="twitch", missing=status.missing)
            yield
            return
        rt = TwitchRuntime.build(app_resources(app), settings)
        app.extensions[RUNTIME_KEY] = rt
        app.extensions[SERVICE_KEY] = rt.delivery
        rt.worker.start()
        log.info("twitch.started", outbox="redis" if app_resources(app).redis else "table")
        try:
            yield
        finally:
            app.extensions.pop(SERVICE_KEY, None)
            app.extensions.pop(RUNTIME_KEY, None)
            await rt.stop()

    return app
