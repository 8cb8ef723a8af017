"""Slack collector settings: the SLACK_* names of ARCHITECTURE §2 and §10, only here."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_validator

from flask_core.collector import CollectorSettings
from flask_core.settings import CommaList

#: Settings without which the collector is `disabled` (reported as env names).
REQUIRED = ("slack_signing_secret", "slack_bot_token")


class SlackSettings(CollectorSettings):
    """SLACK_* on top of the core, outbox and delivery settings."""

    slack_signing_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api"
    slack_chat_rate_limit: str = "1/1s"

    slack_replay_window: float = 300.0  # refuse requests signed more than 5 minutes from now
    slack_dedupe_ttl: float = 3600.0  # Slack retries within about 5 minutes; keep ids an hour
    slack_api_timeout: float = 5.0
    slack_user_cache_ttl: float = 600.0  # users.info answers (roles) are cached 10 minutes
    slack_identity_retry: float = 30.0  # how often a failed auth.test is tried again
    slack_max_message_length: int = 4000
    #: Slash-command answers go only to response URLs under these prefixes (no SSRF).
    slack_response_url_prefixes: CommaList = Field(default_factory=lambda: ["https://hooks.slack.com/"])

    @field_validator("slack_response_url_prefixes", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
