"""Gateway admin settings: the core names of ARCHITECTURE §2 plus this service's own (GATEWAY_ADMIN_*)."""

from __future__ import annotations

from flask_core import CoreSettings


class GatewayAdminSettings(CoreSettings):
    """This service's own secrets and limits live here, never in CoreSettings."""

    gateway_admin_max_items: int = 100  # GATEWAY_ADMIN_MAX_ITEMS: items listed at most per answer
