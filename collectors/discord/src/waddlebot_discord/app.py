"""create_app for the Discord collector (prefix /discord)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from quart import Quart

from flask_core.app import add_ready_check
from flask_core.app import create_app as core_create_app
from flask_core.app import resources as app_resources
from flask_core.delivery import SERVICE_KEY, CollectorStatus, delivery_blueprint
from flask_core.logging import get_logger
from flask_core.resources import Resources

from .gateway import SessionFactory
from .models import MODELS
from .routes import bp
from .runtime import PLATFORM, RUNTIME_KEY, DiscordRuntime
from .settings import REQUIRED, DiscordSettings

log = get_logger(__name__)


def create_app(
    settings: DiscordSettings | None = None,
    resources: Resources | None = None,
    *,
    gateway_factory: SessionFactory | None = None,
) -> Quart:
    """The Discord collector; `gateway_factory` replaces py-cord (tests: a fake gateway)."""
    settings = settings or DiscordSettings()
    app = core_create_app(
        PLATFORM, settings, [bp, delivery_blueprint(PLATFORM)], PLATFORM, resources=resources, models=MODELS
    )
    status = CollectorStatus.check(PLATFORM, settings, REQUIRED)
    status.install(app)

    async def outbox_ready(res: Resources) -> tuple[bool, str]:
        rt: DiscordRuntime | None = app.extensions.get(RUNTIME_KEY)
        if rt is None:
            return False, "not running"
        pending = await rt.outbox.pending()
        return rt.worker.running, f"worker {'running' if rt.worker.running else 'stopped'}, {pending} pending"

    async def gateway_ready(res: Resources) -> tuple[bool, str]:
        rt: DiscordRuntime | None = app.extensions.get(RUNTIME_KEY)
        if rt is None or rt.gateway is None:
            return True, "off (no DISCORD_BOT_TOKEN)"
        return await rt.gateway.ready(res)

    add_ready_check(app, "discord_outbox", outbox_ready, required=False)
    add_ready_check(app, "discord_gateway", gateway_ready, required=False)

    # while_serving runs after the core opens Resources and stops before it closes them.
    @app.while_serving
    async def _lifespan() -> AsyncGenerator[None]:
        if not status.enabled:
            log.warning("collector.disabled", platform=PLATFORM, missing=status.missing)
            yield
            return
        rt = DiscordRuntime.build(app_resources(app), settings, gateway_factory)
        app.extensions[RUNTIME_KEY] = rt
        app.extensions[SERVICE_KEY] = rt.delivery
        rt.start()
        log.info("discord.started", outbox="redis" if app_resources(app).redis else "table")
        try:
            yield
        finally:
            app.extensions.pop(SERVICE_KEY, None)
            app.extensions.pop(RUNTIME_KEY, None)
            await rt.stop()

    return app
