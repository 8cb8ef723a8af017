"""create_app for the Slack collector (prefix /slack)."""

from __future__ import annotations

from quart import Quart

from flask_core.collector import create_collector_app
from flask_core.resources import Resources

from .models import MODELS
from .routes import bp
from .runtime import PLATFORM, SlackRuntime
from .settings import REQUIRED, SlackSettings


def create_app(settings: SlackSettings | None = None, resources: Resources | None = None) -> Quart:
    """The Slack collector: webhooks in, `POST /slack/api/v1/messages` out to Slack."""
    config = settings or SlackSettings()
    return create_collector_app(
        PLATFORM,
        config,
        bp,
        lambda res: SlackRuntime.build(res, config),
        required=REQUIRED,
        models=MODELS,
        resources=resources,
    )
