"""Gateway admin settings: the core names of ARCHITECTURE §2 plus this service's own."""

from __future__ import annotations

import hashlib
import hmac

from pydantic import Field, SecretStr

from flask_core import CoreSettings


class GatewayAdminSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    kong_admin_url: str | None = None  # KONG_ADMIN_URL (e.g. http://kong:8001); unset = disabled
    kong_admin_token: SecretStr | None = None  # KONG_ADMIN_TOKEN, sent as `Kong-Admin-Token`
    kong_timeout: float = Field(default=5.0, gt=0)  # KONG_TIMEOUT: total budget of one Admin API call
    #: GATEWAY_ADMIN_KEY_PEPPER: the HMAC key of stored API key secrets; unset = derived
    #: from INTERNAL_JWT_SECRET (set it on its own to rotate one without the other).
    gateway_admin_key_pepper: SecretStr | None = None
    gateway_admin_max_items: int = Field(default=100, ge=1, le=1000)  # a page at most

    @property
    def enabled(self) -> bool:
        return bool(self.kong_admin_url)

    def pepper(self) -> bytes:
        if self.gateway_admin_key_pepper is not None and self.gateway_admin_key_pepper.get_secret_value():
            return self.gateway_admin_key_pepper.get_secret_value().encode()
        return hmac.new(
            self.secret("internal").encode(), b"gateway_admin key pepper", hashlib.sha256
        ).digest()
