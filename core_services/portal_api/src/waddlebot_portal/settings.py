"""Portal settings: the core names of ARCHITECTURE §2 plus this service's own (PORTAL_*)."""

from __future__ import annotations

from pydantic import Field

from flask_core import CoreSettings


class PortalSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    portal_max_items: int = Field(default=100, ge=1, le=500)  # PORTAL_MAX_ITEMS: a list page at most
    portal_access_ttl: int = Field(default=900, ge=5, le=3600)  # seconds an access token lives
    portal_refresh_ttl: int = Field(default=14 * 86400, ge=60)  # seconds a refresh token lives
    #: Secure cookies; None = everywhere but ENV=dev (plain http://127.0.0.1 in `make run`).
    portal_cookie_secure: bool | None = None
    portal_login_max_failures: int = Field(default=5, ge=1)  # per account, then throttled
    portal_login_max_failures_per_address: int = Field(default=20, ge=1)  # per client address
    portal_login_failure_window: float = Field(default=900.0, gt=0)  # seconds to earn them all back
    # argon2id parameters (argon2-cffi's defaults; tests use cheap ones, PITFALLS.md)
    portal_argon2_time_cost: int = Field(default=3, ge=1)
    portal_argon2_memory_cost: int = Field(default=65536, ge=8)
    portal_argon2_parallelism: int = Field(default=4, ge=1)
    portal_proxy_timeout: float = Field(default=5.0, gt=0)  # total budget of one proxied call
    portal_simulate_timeout: float = Field(default=10.0, gt=0)  # the router's answer to a simulation
    portal_feed_heartbeat: float = Field(default=15.0, gt=0)  # seconds between SSE keep-alives
    portal_oauth_state_ttl: int = Field(default=600, ge=30)  # seconds to finish an OAuth sign-in

    @property
    def cookie_secure(self) -> bool:
        return self.env != "dev" if self.portal_cookie_secure is None else self.portal_cookie_secure
