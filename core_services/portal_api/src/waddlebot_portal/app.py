"""create_app for the portal service (the web portal's backend, `/portal`)."""

from __future__ import annotations

from quart import Quart, Response, request

from flask_core import Resources, spa
from flask_core import create_app as core_create_app

from .models import define_tables
from .routes import bp
from .settings import PortalSettings
from .web import MIN_ROLE_ATTRIBUTE, check_csrf, check_tenancy, ensure_csrf_cookie

PREFIX = "portal"


def create_app(settings: PortalSettings | None = None, resources: Resources | None = None) -> Quart:
    """The portal app: sessions, me, communities, the management screens, audit, simulator,
    and the built SPA at `/` when there is one (PORTAL_DIST_DIR)."""
    settings = settings or PortalSettings()
    app = core_create_app(PREFIX, settings, [bp], PREFIX, resources=resources, models=[define_tables])

    @app.before_request
    async def _csrf_and_tenancy() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
            await request.get_json()  # bad JSON is 400 `invalid_json` first, as everywhere
        check_csrf()
        if request.url_rule is not None:
            await check_tenancy(app.view_functions.get(request.url_rule.endpoint))

    @app.after_request
    async def _csrf_cookie(response: Response) -> Response:
        ensure_csrf_cookie(response)
        return response

    _every_community_route_has_a_role(app)
    # Alone (`waddlebot serve portal`: the fleet, compose, Kubernetes) the portal serves the
    # built SPA at `/` and its client routes (§12); behind the dispatcher only /portal/… gets here.
    spa.mount(app, settings)
    return app


def _every_community_route_has_a_role(app: Quart) -> None:
    """A route under /communities/<community_id> without `min_role` is a bug: refuse to start."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if "community_id" in rule.arguments and getattr(view, MIN_ROLE_ATTRIBUTE, None) is None:
            raise RuntimeError(f"{rule.rule}: a community route needs web.min_role(...)")
