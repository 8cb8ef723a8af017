"""The app factory every service uses: errors, request ids, probes, metrics, lifespan."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from quart import Blueprint, Quart, Request, Response, current_app, g, jsonify, request
from quart_schema import QuartSchema, RequestSchemaValidationError, hide
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE, DataSource
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed

from . import metrics
from .database import Definer
from .errors import (
    DependencyUnavailable,
    InternalError,
    InvalidJSON,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceError,
    UnsupportedMediaType,
    ValidationFailed,
)
from .http import request_id_var
from .logging import bind_context, clear_context, configure_from, get_logger
from .openapi import WaddleOpenAPI
from .resources import Resources
from .settings import CoreSettings

log = get_logger(__name__)
ReadyCheck = Callable[[Resources], Awaitable[tuple[bool, str]]]
READY_TIMEOUT = 2.0
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_HTTP_ERRORS: dict[int, type[ServiceError]] = {
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


#: The probes answer GET (and HEAD) only; anything else is a 405 with `Allow`.
PROBE_METHODS = ("GET", "HEAD")


class JSONRequest(Request):
    """Quart's request, with the one place a JSON body is decoded.

    Quart decodes the body as text before parsing it, so a body that is not UTF-8
    raises `UnicodeDecodeError` (a 500); here both that and a parse error are the
    400 `invalid_json` of the error shape.
    """

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not (force or self.is_json):
            return None
        raw = await self.get_data(cache, False, False)  # bytes: decoded below, strictly
        try:
            result = self.json_module.loads(raw.decode("utf-8"))
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError alike
            if not silent:
                raise InvalidJSON(details={"reason": type(error).__name__}) from None
            result = None
        if cache:
            self._cached_json[silent] = result
        return result


def resources(app: Quart | None = None) -> Resources:
    """The Resources of the current (or given) app; available once it serves."""
    target = app or current_app
    res: Resources | None = target.extensions.get("waddlebot.resources")
    if res is None:
        raise DependencyUnavailable("service is starting")
    return res


def settings_of(app: Quart | None = None) -> CoreSettings:
    s: CoreSettings = (app or current_app).extensions["waddlebot.settings"]
    return s


def add_ready_check(app: Quart, name: str, check: ReadyCheck, *, required: bool = True) -> None:
    """Register a readiness check; optional ones are reported but never fail /readyz."""
    app.extensions["waddlebot.ready_checks"].append((name, check, required))


def create_app(
    name: str,
    settings: CoreSettings,
    blueprints: Iterable[Blueprint],
    url_prefix: str,
    resources: Resources | None = None,
    models: Iterable[Definer] = (),
) -> Quart:
    """Build a service app; all its routes live under `/<url_prefix>`."""
    prefix = url_prefix.strip("/")
    configure_from(settings)  # LOG_LEVEL, LOG_FORMAT and LOG_FILE*
    app = Quart(name)
    app.request_class = JSONRequest
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        WADDLEBOT_PREFIX=prefix,
        WADDLEBOT_INTERNAL_SECRET=settings.secret("internal"),
        WADDLEBOT_PORTAL_SECRET=settings.secret("portal"),
        QUART_SCHEMA_CONVERSION_PREFERENCE="pydantic",
    )
    app.extensions["waddlebot.settings"] = settings
    app.extensions["waddlebot.models"] = list(models)
    app.extensions["waddlebot.ready_checks"] = []
    if resources is not None:
        app.extensions["waddlebot.resources"] = resources
    QuartSchema(
        app,
        openapi_path=f"/{prefix}/openapi.json",
        swagger_ui_path=f"/{prefix}/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
        info={"title": f"WaddleBot {prefix}", "version": "0.1.0"},
        openapi_provider_class=WaddleOpenAPI,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint, url_prefix=f"/{prefix}")
    _install_lifespan(app, settings)
    _install_request_hooks(app, prefix)
    _install_error_handlers(app)
    _install_probes(app, prefix)
    return app


def _install_lifespan(app: Quart, settings: CoreSettings) -> None:
    async def _close_resources() -> None:
        owned = app.extensions.pop("waddlebot.owns_resources", None)
        if owned is not None:
            app.extensions.pop("waddlebot.resources", None)
            await owned.close()

    @app.before_serving
    async def _open_resources() -> None:
        res = app.extensions.get("waddlebot.resources")
        if res is None:
            res = await Resources.open(settings)
            app.extensions["waddlebot.owns_resources"] = res
        if res.settings is not settings:
            # Shared handles, but this service's own settings (its Settings subclass).
            res = dataclasses.replace(res, settings=settings)
        app.extensions["waddlebot.resources"] = res
        for definer in app.extensions["waddlebot.models"]:
            res.db.add_models(definer)
        # Quart runs after_serving hooks in registration order: closing the resources
        # goes last, after every hook the service registered for its own clean-up.
        if _close_resources in app.after_serving_funcs:
            app.after_serving_funcs.remove(_close_resources)
        app.after_serving_funcs.append(_close_resources)


def model_response(model: BaseModel, status: int = 200, *, exclude_none: bool = False) -> Response:
    """A JSON answer serialised by pydantic in one step (no dict in between), for hot routes.

    A view that returns a dict has quart-schema build a `TypeAdapter(dict)` for it on every
    response, then Quart's JSON provider encodes it again; this skips both.
    """
    return Response(
        model.model_dump_json(exclude_none=exclude_none), status=status, content_type="application/json"
    )


def _install_request_hooks(app: Quart, prefix: str) -> None:
    bound: dict[tuple[str, str, int], tuple[Any, Any]] = {}  # the request metrics' children

    @app.before_request
    async def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = request_id
        g.started = time.perf_counter()
        request_id_var.set(request_id)
        clear_context()
        bind_context(request_id=request_id, service=prefix)
        _require_json_body()

    @app.after_request
    async def _finish(response: Response) -> Response:
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        started = getattr(g, "started", None)
        elapsed = time.perf_counter() - started if started else 0.0
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        key = (request.method, route, response.status_code)
        children = bound.get(key)
        if children is None:
            if len(bound) > 4096:  # routes and statuses are few; the bound is only a guard
                bound.clear()
            children = bound[key] = (
                metrics.HTTP_REQUESTS.labels(prefix, request.method, route, str(response.status_code)),
                metrics.HTTP_LATENCY.labels(prefix, request.method, route),
            )
        children[0].inc()
        children[1].observe(elapsed)
        if not route.endswith(("/healthz", "/readyz", "/metrics")):
            log.debug(  # per-request lines are noise at info; commands get their own line
                "http.request",
                method=request.method,
                path=request.path,
                route=route,
                status=response.status_code,
                duration_ms=round(elapsed * 1000, 2),
            )
        return response


def _require_json_body() -> None:
    """Views that validate a JSON body get 415 for any other content type."""
    view = current_app.view_functions.get(request.endpoint or "")
    spec = getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None) if view else None
    if spec is not None and spec[1] == DataSource.JSON and not request.is_json:
        raise UnsupportedMediaType(details={"content_type": request.mimetype or None})


def error_response(exc: ServiceError) -> tuple[Response, int, dict[str, str]]:
    request_id = getattr(g, "request_id", None)
    return jsonify(exc.body(request_id)), exc.status, exc.headers


def _validation_details(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, ValidationError):
        return {"errors": exc.errors(include_url=False, include_context=False, include_input=False)}
    return {"errors": [{"msg": str(exc)}]}


def _install_error_handlers(app: Quart) -> None:
    @app.errorhandler(ServiceError)
    async def _service_error(exc: ServiceError) -> Any:
        metrics.ERRORS.labels(app.config["WADDLEBOT_PREFIX"], exc.code).inc()
        if exc.status >= 500:
            log.warning("http.service_error", code=exc.code, error=exc.message)
        return error_response(exc)

    @app.errorhandler(RequestSchemaValidationError)
    async def _schema_error(exc: RequestSchemaValidationError) -> Any:
        return await _service_error(ValidationFailed(details=_validation_details(exc.validation_error)))

    @app.errorhandler(HTTPException)
    async def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if isinstance(exc, WerkzeugMethodNotAllowed):
            allowed = ", ".join(sorted(exc.valid_methods or ()))
            return await _service_error(
                MethodNotAllowed(details={"allowed": allowed}, headers={"Allow": allowed})
            )
        mapped = _HTTP_ERRORS.get(status)
        if mapped is not None:
            return await _service_error(mapped())
        if status == 400 and request.is_json:
            return await _service_error(InvalidJSON())
        return await _service_error(
            ServiceError(exc.description or "error", code="bad_request", status=status)
        )

    @app.errorhandler(Exception)
    async def _unhandled(exc: Exception) -> Any:
        log.exception("http.unhandled_error", error_type=type(exc).__name__)
        return await _service_error(InternalError())


def _install_probes(app: Quart, prefix: str) -> None:
    # No automatic OPTIONS: a probe answers GET and HEAD, everything else is a 405.
    probe = {"methods": list(PROBE_METHODS), "provide_automatic_options": False}

    @app.route("/healthz", **probe)
    @hide  # the root probes are not part of a service's API (the dispatcher answers them too)
    async def healthz() -> Any:
        return {"status": "ok", "service": prefix}

    @app.route("/readyz", **probe)
    @hide
    async def readyz() -> Any:
        ok, checks = await readiness(app)
        if not ok:
            raise DependencyUnavailable("not ready", details={"checks": checks})
        return {"status": "ready", "service": prefix, "checks": checks}

    @app.route("/metrics", **probe)
    @hide
    async def metrics_view() -> Any:
        body, content_type = metrics.render()
        return Response(body, content_type=content_type)


async def readiness(app: Quart, *, shared: bool = True) -> tuple[bool, dict[str, dict[str, Any]]]:
    """Run the checks of `app`; (all required ok, per-check detail).

    `shared=False` leaves out the database and Redis checks, for a caller (the
    single-process dispatcher) that runs them once for every app sharing them.
    """
    res = app.extensions.get("waddlebot.resources")
    if res is None:
        return False, {"lifespan": {"ok": False, "detail": "not started"}}
    own = app.extensions["waddlebot.ready_checks"]
    return await run_checks(res, [*shared_checks(res), *own] if shared else own)


def shared_checks(res: Resources) -> list[tuple[str, ReadyCheck, bool]]:
    """The checks of the handles every app of a process shares."""
    checks: list[tuple[str, ReadyCheck, bool]] = [("database", _check_db, True)]
    if res.redis is not None:
        checks.append(("redis", _check_redis, True))
    return checks


async def run_checks(
    res: Resources, checks: list[tuple[str, ReadyCheck, bool]]
) -> tuple[bool, dict[str, dict[str, Any]]]:
    """Run checks concurrently, each within READY_TIMEOUT."""

    async def one(check: ReadyCheck) -> tuple[bool, str]:
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                return await check(res)
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"

    outcomes = await asyncio.gather(*(one(check) for _, check, _ in checks))
    details: dict[str, dict[str, Any]] = {}
    ok = True
    for (name, _, required), (passed, detail) in zip(checks, outcomes, strict=True):
        details[name] = {"ok": passed, "detail": detail, "required": required}
        ok = ok and (passed or not required)
    return ok, details


async def _check_db(res: Resources) -> tuple[bool, str]:
    await res.db.ping()
    return True, "ok"


async def _check_redis(res: Resources) -> tuple[bool, str]:
    assert res.redis is not None
    await res.redis.ping()
    return True, "ok"
