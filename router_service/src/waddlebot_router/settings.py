"""Router settings (ROUTER_* on top of the core names): the router's limits live only here."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from flask_core.settings import CoreSettings, parse_duration

#: Seconds, given as `5s`, `500ms`, `2m` or a plain number.
Duration = Annotated[float, BeforeValidator(parse_duration)]


class RouterSettings(CoreSettings):
    router_user_rate_limit: str = "20/30s"  # per user per community
    router_community_rate_limit: str = "300/30s"
    #: Caps every module's command time budget (the manifest's, else the service table's
    #: default for its kind); unset = no cap. Tests and the fault suite scale it down.
    router_module_timeout: float | None = None
    router_module_concurrency: int = 16  # calls in flight per module; more queue in the router
    router_batch_concurrency: int = 32
    router_batch_deadline: float = 45.0
    router_manifest_interval: float = 60.0
    router_manifest_timeout: float = 2.0
    router_claim_ttl: float = 60.0
    router_done_ttl: float = 86400.0
    router_table_ttl: float = 300.0
    router_session_ttl: float = 900.0
    #: TWITCH_BOT_USER_ID (also the Twitch collector's): the router drops the bot's own lines.
    twitch_bot_user_id: str | None = None
    #: The global cooldown of a command when neither its manifest nor the community sets
    #: one (ARCHITECTURE §11, §12); 0 switches it off.
    router_default_cooldown: Duration = 5.0
