"""Router settings (ROUTER_* on top of the core names)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from flask_core.settings import CoreSettings, parse_duration

#: Seconds, given as `5s`, `500ms`, `2m` or a plain number.
Duration = Annotated[float, BeforeValidator(parse_duration)]


class RouterSettings(CoreSettings):
    router_module_timeout: float = 5.0
    router_module_concurrency: int = 16  # calls in flight per module; more queue in the router
    router_ai_timeout: float = 30.0
    router_batch_concurrency: int = 32
    router_batch_deadline: float = 45.0
    router_manifest_interval: float = 60.0
    router_manifest_timeout: float = 2.0
    router_claim_ttl: float = 60.0
    router_done_ttl: float = 86400.0
    router_table_ttl: float = 300.0
    router_session_ttl: float = 900.0
    #: The global cooldown of a command when neither its manifest nor the community sets
    #: one (ARCHITECTURE §11, §12); 0 switches it off.
    router_default_cooldown: Duration = 5.0
