"""create_app for the Discord collector (prefix /discord)."""

from __future__ import annotations

from quart import Quart

from flask_core.app import add_ready_check
from flask_core.collector import create_collector_app
from flask_core.resources import Resources

from .gateway import SessionFactory
from .models import MODELS
from .routes import bp
from .runtime import PLATFORM, RUNTIME_KEY, DiscordRuntime
from .settings import REQUIRED, DiscordSettings


def create_app(
    settings: DiscordSettings | None = None,
    resources: Resources | None = None,
    *,
    gateway_factory: SessionFactory | None = None,
) -> Quart:
    """The Discord collector; `gateway_factory` replaces py-cord (tests: a fake gateway)."""
    config = settings or DiscordSettings()
    app = create_collector_app(
        PLATFORM,
        config,
        bp,
        lambda res: DiscordRuntime.build(res, config, gateway_factory),
        required=REQUIRED,
        models=MODELS,
        resources=resources,
    )

    async def gateway_ready(res: Resources) -> tuple[bool, str]:
        rt: DiscordRuntime | None = app.extensions.get(RUNTIME_KEY)
        if rt is None or rt.gateway is None:
            return True, "off (no DISCORD_BOT_TOKEN)"
        return await rt.gateway.ready(res)

    add_ready_check(app, "discord_gateway", gateway_ready, required=False)
    return app
