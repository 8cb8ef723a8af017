"""Twitch collector settings: the core TWITCH_* names plus this service's own."""

from __future__ import annotations

from flask_core.delivery import DeliverySettings
from flask_core.outbox import OutboxSettings

#: Settings without which the collector is `disabled` (reported as env names).
REQUIRED = ("twitch_eventsub_secret", "twitch_client_id", "twitch_client_secret", "twitch_bot_user_id")


class TwitchSettings(OutboxSettings, DeliverySettings):
    """TWITCH_* on top of the core, outbox and delivery settings."""

    twitch_replay_window: float = 600.0  # refuse notifications older than 10 minutes
    twitch_dedupe_ttl: float = 1200.0  # message ids kept longer than the replay window
    twitch_max_message_length: int = 500
    twitch_helix_timeout: float = 5.0
    twitch_channel_cache_ttl: float = 300.0
    twitch_token_refresh_margin: float = 300.0  # refresh a user token this long before expiry
