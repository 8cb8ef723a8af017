"""create_app for the Slack collector (prefix /slack)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from quart import Quart

from flask_core.app import add_ready_check
from flask_core.app import create_app as core_create_app
from flask_core.app import resources as app_resources
from flask_core.delivery import SERVICE_KEY, CollectorStatus, delivery_blueprint
from flask_core.logging import get_logger
from flask_core.resources import Resources

from .models import MODELS
from .routes import bp
from .runtime import PLATFORM, RUNTIME_KEY, SlackRuntime
from .settings import REQUIRED, SlackSettings

log = get_logger(__name__)


def create_app(settings: SlackSettings | None = None, resources: Resources | None = None) -> Quart:
    """The Slack collector: webhooks in, `POST /slack/api/v1/messages` out to Slack."""
    settings = settings or SlackSettings()
    app = core_create_app(
        PLATFORM, settings, [bp, delivery_blueprint(PLATFORM)], PLATFORM, resources=resources, models=MODELS
    )
    status = CollectorStatus.check(PLATFORM, settings, REQUIRED)
    status.install(app)

    async def outbox_ready(res: Resources) -> tuple[bool, str]:
        rt: SlackRuntime | None = app.extensions.get(RUNTIME_KEY)
        if rt is None:
            return False, "not running"
        pending = await rt.outbox.pending()
        identity = await rt.api.identity()
        who = f"bot {identity.user_id}" if identity else "bot unknown (auth.test failed)"
        running = rt.worker.running
        return running, f"worker {'running' if running else 'stopped'}, {pending} pending, {who}"

    add_ready_check(app, "slack_outbox", outbox_ready, required=False)

    # while_serving runs after the core opens Resources and stops before it closes them.
    @app.while_serving
    async def _lifespan() -> AsyncGenerator[None]:
        if not status.enabled:
            log.warning("collector.disabled", platform=PLATFORM, missing=status.missing)
            yield
            return
        rt = SlackRuntime.build(app_resources(app), settings)
        app.extensions[RUNTIME_KEY] = rt
        app.extensions[SERVICE_KEY] = rt.delivery
        rt.start()
        log.info("slack.started", outbox="redis" if app_resources(app).redis else "table")
        try:
            yield
        finally:
            app.extensions.pop(SERVICE_KEY, None)
            app.extensions.pop(RUNTIME_KEY, None)
            await rt.stop()

    return app
