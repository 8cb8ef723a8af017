"""create_app for the portal service (the web portal's backend, `/portal`)."""

from __future__ import annotations

from quart import Quart, Response

from flask_core import Resources
from flask_core import create_app as core_create_app

from .models import define_tables
from .routes import bp
from .settings import PortalSettings
from .web import check_csrf, ensure_csrf_cookie

PREFIX = "portal"


def create_app(settings: PortalSettings | None = None, resources: Resources | None = None) -> Quart:
    """The portal app: sessions, me, communities, the management screens, audit, simulator."""
    settings = settings or PortalSettings()
    app = core_create_app(PREFIX, settings, [bp], PREFIX, resources=resources, models=[define_tables])

    @app.before_request
    async def _csrf() -> None:
        check_csrf()

    @app.after_request
    async def _csrf_cookie(response: Response) -> Response:
        ensure_csrf_cookie(response)
        return response

    return app
