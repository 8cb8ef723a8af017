"""create_app for the gateway_admin service (Kong consumers, keys and ACL groups)."""

from __future__ import annotations

from quart import Quart

from flask_core import Resources
from flask_core import create_app as core_create_app
from flask_core.app import add_ready_check

from .kong import Kong
from .models import define_tables
from .routes import bp
from .settings import GatewayAdminSettings

PREFIX = "gateway_admin"


def create_app(settings: GatewayAdminSettings | None = None, resources: Resources | None = None) -> Quart:
    """The gateway_admin app: Kong consumers, keys and ACL groups under `/gateway_admin`."""
    settings = settings or GatewayAdminSettings()
    app = core_create_app(PREFIX, settings, [bp], PREFIX, resources=resources, models=[define_tables])

    async def kong_ready(res: Resources) -> tuple[bool, str]:
        if not settings.enabled:
            return False, "disabled: KONG_ADMIN_URL is not set"
        await Kong(res, settings).call("GET", "/status")
        return True, "ok"

    # Kong is optional (§12): never a reason for this service, or the fleet, to be unready.
    add_ready_check(app, "kong", kong_ready, required=False)
    return app
