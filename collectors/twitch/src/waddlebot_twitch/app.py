"""create_app for the Twitch collector (prefix /twitch)."""

from __future__ import annotations

from quart import Quart

from flask_core import outbox, platform_tokens
from flask_core.collector import create_collector_app
from flask_core.resources import Resources

from .models import define_tables
from .routes import bp
from .runtime import TwitchRuntime
from .settings import REQUIRED, TwitchSettings


def create_app(settings: TwitchSettings | None = None, resources: Resources | None = None) -> Quart:
    """The Twitch collector: EventSub in, `POST /twitch/api/v1/messages` out through Helix."""
    config = settings or TwitchSettings()
    return create_collector_app(
        "twitch",
        config,
        bp,
        lambda res: TwitchRuntime.build(res, config),
        required=REQUIRED,
        models=[outbox.define_tables, platform_tokens.define_tables, define_tables],
        resources=resources,
    )
