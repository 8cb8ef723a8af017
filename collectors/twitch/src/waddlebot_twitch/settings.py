"""Twitch collector settings: the TWITCH_* names of ARCHITECTURE §2 and §10, only here."""

from __future__ import annotations

from pydantic import SecretStr

from flask_core.collector import CollectorSettings

#: Settings without which the collector is `disabled` (reported as env names).
REQUIRED = ("twitch_eventsub_secret", "twitch_client_id", "twitch_client_secret", "twitch_bot_user_id")


class TwitchSettings(CollectorSettings):
    """TWITCH_* on top of the core, outbox and delivery settings."""

    twitch_eventsub_secret: SecretStr | None = None
    twitch_client_id: str | None = None
    twitch_client_secret: SecretStr | None = None
    twitch_bot_user_id: str | None = None  # the bot's user id, sender of chat messages
    # The bot user's initial tokens: they only seed `platform_tokens`; the row wins.
    twitch_access_token: SecretStr | None = None
    twitch_refresh_token: SecretStr | None = None
    twitch_api_url: str = "https://api.twitch.tv/helix"
    twitch_auth_url: str = "https://id.twitch.tv/oauth2"
    twitch_chat_rate_limit: str = "20/30s"
    twitch_chat_rate_limit_mod: str = "100/30s"  # in channels where the bot is a moderator

    twitch_replay_window: float = 600.0  # refuse notifications older than 10 minutes
    twitch_dedupe_ttl: float = 1200.0  # message ids kept longer than the replay window
    twitch_max_message_length: int = 500
    twitch_helix_timeout: float = 5.0
    twitch_channel_cache_ttl: float = 300.0
    twitch_token_refresh_margin: float = 300.0  # refresh a user token this long before expiry
    #: The chat line a user gets when Twitch refuses to let the bot whisper them (PUBLIC_URL follows).
    twitch_whisper_fallback_text: str = "I can't whisper you here; your answer is waiting in the portal:"
