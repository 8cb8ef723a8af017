"""Identity settings: the core names of ARCHITECTURE §2 plus this service's own (IDENTITY_*)."""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from flask_core import CoreSettings
from flask_core.settings import dev_secret, is_placeholder


class IdentitySettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings.

    `IDENTITY_KEY_PEPPER` is the server-side pepper of API keys (HMAC-SHA256 of each
    key's secret, §12). With ENV=dev or ENV=test and no value it is generated once into
    `DATA_DIR/secrets/identity_key_pepper` (like the core secrets); in prod a missing or
    placeholder pepper stops start-up. Changing it invalidates every issued key.
    """

    identity_key_pepper: SecretStr | None = None
    identity_max_keys: int = 5  # live (unrevoked, unexpired) keys per user
    identity_key_default_days: int = 90
    identity_key_max_days: int = 365
    identity_link_code_ttl: float = 600.0  # seconds a !link code stays valid
    identity_link_attempts: int = 5  # wrong !verify attempts that burn a code
    identity_link_resend: float = 60.0  # seconds before !link may send a new code
    identity_oauth_state_ttl: float = 600.0
    identity_oauth_timeout: float = 10.0  # total budget of one provider call
    identity_merge_retry: float = 5.0  # seconds between retries of an unconfirmed merge
    identity_resolve_ttl: float = 300.0  # how long resolve answers are cached

    # OAuth clients (§12) and provider base URLs (§2).
    twitch_client_id: str = ""
    twitch_client_secret: SecretStr | None = None
    discord_client_id: str = ""
    discord_client_secret: SecretStr | None = None
    slack_client_id: str = ""
    slack_client_secret: SecretStr | None = None
    twitch_auth_url: str = "https://id.twitch.tv/oauth2"
    twitch_api_url: str = "https://api.twitch.tv/helix"
    discord_api_url: str = "https://discord.com/api/v10"
    slack_api_url: str = "https://slack.com/api"
    #: The browser-facing authorize pages that are not under the API bases.
    discord_authorize_url: str = "https://discord.com/oauth2/authorize"
    slack_authorize_url: str = "https://slack.com/openid/connect/authorize"

    @model_validator(mode="after")
    def _pepper(self) -> IdentitySettings:
        raw = self.identity_key_pepper.get_secret_value() if self.identity_key_pepper else None
        if not is_placeholder(raw):
            return self
        if self.env in ("dev", "test"):
            self.identity_key_pepper = SecretStr(dev_secret(self.data_dir, "identity_key_pepper"))
            return self
        raise ValueError(
            "IDENTITY_KEY_PEPPER is missing or a placeholder (ENV=prod); set a random value of "
            "at least 32 characters, or run with ENV=dev to generate one under DATA_DIR"
        )

    def pepper(self) -> bytes:
        assert self.identity_key_pepper is not None  # the validator guarantees it
        return self.identity_key_pepper.get_secret_value().encode()
