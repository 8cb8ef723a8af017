"""Discord collector settings: the DISCORD_* names of ARCHITECTURE §2 and §10, only here."""

from __future__ import annotations

from pydantic import SecretStr

from flask_core.collector import CollectorSettings

#: Settings without which the collector is `disabled` (reported as env names).
REQUIRED = ("discord_public_key", "discord_application_id")


class DiscordSettings(CollectorSettings):
    """DISCORD_* on top of the core, outbox and delivery settings."""

    discord_public_key: str | None = None
    discord_application_id: str | None = None
    discord_bot_token: SecretStr | None = None  # only for the optional gateway and DMs
    discord_api_url: str = "https://discord.com/api/v10"
    discord_rate_limit: str = "50/1s"

    discord_interaction_wait: float = 2.0  # then type 5; Discord allows 3 s for the first answer
    discord_interaction_poll: float = 0.05  # how often a waiting webhook looks at Redis
    discord_interaction_ttl: float = 900.0  # interaction tokens live 15 minutes
    discord_api_timeout: float = 5.0
    discord_max_message_length: int = 2000
    discord_empty_text: str = "Nothing to show for that."
    #: Replaces "thinking..." when the answer went out only privately after a type 5.
    discord_private_text: str = "I sent you the answer privately."
    discord_guild_only_text: str = "WaddleBot commands work in a server, not in direct messages."
    discord_gateway_backoff_base: float = 1.0
    discord_gateway_backoff_cap: float = 300.0
    discord_gateway_silence: float = 900.0  # connected but no event for this long → reported
