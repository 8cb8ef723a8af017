"""What every collector shares: its status, its two service endpoints and its runtime's life.

    create_collector_app(platform, settings, bp, build_runtime, required=..., models=...)
        -> Quart: `bp` (the webhooks) + `collector_blueprint(platform)`, the CollectorStatus,
        the optional `/readyz` check `<platform>_outbox`, and a lifespan that builds the
        runtime (`build_runtime(res)`), starts it, and stops it at shutdown. A collector
        without its `required` settings is `disabled`: nothing is built, its endpoints
        answer 503 with details.missing, and `/readyz` stays green.
    CollectorRuntime: outbox + worker + delivery; `start()`, `await stop()`, `ready()`.
        A collector's runtime subclasses it (a dataclass) to add its own parts.
    collector_blueprint(platform): POST /api/v1/messages (the router's delivery, §4.4 →
        202) and GET /api/v1/status (`CollectorStatusOut`), both with a service token.
    current_runtime(kind) -> the running runtime in a request (503 while disabled/starting).
    HeaderMap, await signed_request(), json_object(body, what): what the signed webhooks read.
    cli_settings(cls), missing_settings(...), run_command(platform, coro, errors): the
        collectors' `waddlebot <platform> ...` commands (a failure is one line on stderr).
    CollectorSettings: the outbox and delivery settings every collector's settings extend.
App extensions: STATUS_KEY (the status), SERVICE_KEY (the DeliveryService),
`runtime_key(platform)` = "<platform>.runtime" (the runtime).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from quart import Blueprint, Quart, current_app, request
from quart_schema import validate_request, validate_response
from werkzeug.datastructures import Headers

from .app import add_ready_check, create_app
from .app import resources as app_resources
from .auth import require_service
from .database import Definer
from .delivery import DeliveryService, DeliverySettings
from .errors import BadRequest, DependencyUnavailable
from .events import Delivery, DeliveryAccepted
from .logging import configure_logging, get_logger
from .metrics import gauge
from .outbox import Outbox, OutboxSettings, OutboxWorker
from .resources import Resources
from .settings import CoreSettings
from .supervise import Supervised

log = get_logger(__name__)
GAUGE_INTERVAL = 15.0
OUTBOX_PENDING = gauge("waddlebot_outbox_pending", "Outbox entries not yet delivered", ("outbox",))
OUTBOX_DEAD = gauge(
    "waddlebot_outbox_dead_letters", "Outbox dead letters (waddlebot outbox list --dead)", ("outbox",)
)
STATUS_KEY: Final = "waddlebot.collector_status"
SERVICE_KEY: Final = "waddlebot.delivery"
#: Request headers: Quart's (case-insensitive) or, in unit tests, a plain mapping.
type HeaderMap = Mapping[str, str] | Headers


def runtime_key(platform: str) -> str:
    """Where a running collector keeps its runtime in `app.extensions`."""
    return f"{platform}.runtime"


class CollectorSettings(OutboxSettings, DeliverySettings):
    """The core names plus OUTBOX_* and DELIVERY_*: the base of every collector's settings."""


# --- status ---------------------------------------------------------------------------------


def _present(value: Any) -> bool:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return value is not None and str(value).strip() != ""


@dataclass(slots=True)
class CollectorStatus:
    """`enabled`, or `disabled` for want of the settings named in `missing` (env names)."""

    platform: str
    missing: list[str]

    @classmethod
    def check(cls, platform: str, settings: CoreSettings, required: Iterable[str]) -> CollectorStatus:
        missing = [name.upper() for name in required if not _present(getattr(settings, name, None))]
        return cls(platform, missing)

    @property
    def enabled(self) -> bool:
        return not self.missing

    def require_enabled(self) -> None:
        if self.missing:
            raise DependencyUnavailable(
                f"the {self.platform} collector is disabled: settings are missing",
                details={"platform": self.platform, "status": "disabled", "missing": self.missing},
            )

    async def ready(self, res: Resources) -> tuple[bool, str]:
        if self.missing:
            return False, f"disabled: missing {', '.join(self.missing)}"
        return True, "enabled"

    def install(self, app: Quart) -> None:
        """Keep it in the app and report it on /readyz without ever failing it."""
        app.extensions[STATUS_KEY] = self
        add_ready_check(app, self.platform, self.ready, required=False)


class CollectorStatusOut(BaseModel):
    """`GET /<platform>/api/v1/status`."""

    status: Literal["enabled", "disabled"]
    missing: list[str] = Field(default_factory=list)
    outbox_pending: int | None = None
    outbox_worker: bool = False
    delivery_pending: int | None = None  # replies stored, not yet sent (retries included)
    dead_letters: int | None = None  # both directions: `waddlebot outbox list --dead`


# --- the runtime ----------------------------------------------------------------------------


@dataclass(kw_only=True)
class CollectorRuntime:
    """What a running collector holds; a collector's subclass adds its platform's parts."""

    outbox: Outbox
    worker: OutboxWorker
    delivery: DeliveryService

    gauges: Supervised | None = None

    def start(self) -> None:
        """Start draining both outboxes (a subclass starts its own tasks too)."""
        self.worker.start()
        self.delivery.start()
        self.gauges = Supervised(f"outbox-gauges:{self.outbox.platform}", self._refresh_gauges)
        self.gauges.start()

    async def stop(self) -> None:
        """Stop the inbound worker, then let delivery finish (bounded); the rest stays stored."""
        if self.gauges is not None:
            await self.gauges.stop()
        await self.worker.stop()
        await self.delivery.close()

    async def _refresh_gauges(self) -> None:
        """`waddlebot_outbox_pending` / `_dead_letters` per outbox, every GAUGE_INTERVAL s."""
        while True:
            for box in (self.outbox, self.delivery.outbox):
                OUTBOX_PENDING.labels(self.outbox.platform, box.platform).set(await box.pending())
                OUTBOX_DEAD.labels(self.outbox.platform, box.platform).set(await box.dead_count())
            await asyncio.sleep(GAUGE_INTERVAL)

    async def ready(self) -> tuple[bool, str]:
        """The `<platform>_outbox` check: are the workers running, how much is pending."""
        pending = await self.outbox.pending()
        outbound = await self.delivery.outbox.pending()
        running = self.worker.running and self.delivery.running
        state = "running" if running else "stopped"
        return running, f"workers {state}, {pending} pending in, {outbound} pending out"

    async def durable(self, settings: CoreSettings) -> tuple[bool, str]:
        """The `<platform>_durable` check: outside dev, a volatile Redis would lose events."""
        if settings.env == "dev" or getattr(settings, "outbox_allow_volatile_redis", False):
            return True, "not checked (dev or OUTBOX_ALLOW_VOLATILE_REDIS)"
        try:
            ok, detail = await self.outbox.check_durable()
        except Exception as exc:
            return False, f"cannot read the store's persistence: {type(exc).__name__}"
        if not ok:
            detail += "; set appendonly yes (or OUTBOX_ALLOW_VOLATILE_REDIS=true to accept losses)"
        return ok, detail


def _status(platform: str) -> CollectorStatus:
    status: CollectorStatus | None = current_app.extensions.get(STATUS_KEY)
    return status if status is not None else CollectorStatus(platform, [])


def current_runtime[R: CollectorRuntime](kind: type[R]) -> R:
    """The running collector of this request's app; 503 while it is disabled or starting."""
    status: CollectorStatus = current_app.extensions[STATUS_KEY]
    status.require_enabled()
    found = current_app.extensions.get(runtime_key(status.platform))
    if not isinstance(found, kind):
        raise DependencyUnavailable(f"the {status.platform} collector is starting")
    return found


# --- the app --------------------------------------------------------------------------------


def collector_blueprint(platform: str) -> Blueprint:
    """`POST /api/v1/messages` and `GET /api/v1/status` (register under the platform prefix)."""
    bp = Blueprint(f"{platform}_collector", __name__)

    @bp.post("/api/v1/messages")
    @require_service
    @validate_request(Delivery)
    @validate_response(DeliveryAccepted, 202)
    async def post_messages(data: Delivery) -> Any:
        _status(platform).require_enabled()
        service: DeliveryService | None = current_app.extensions.get(SERVICE_KEY)
        if service is None:
            raise DependencyUnavailable(f"{platform} delivery is starting")
        return await service.accept(data), 202

    @bp.get("/api/v1/status")
    @require_service
    @validate_response(CollectorStatusOut)
    async def get_status() -> CollectorStatusOut:
        status = _status(platform)
        if not status.enabled:
            return CollectorStatusOut(status="disabled", missing=status.missing)
        rt = current_runtime(CollectorRuntime)
        return CollectorStatusOut(
            status="enabled",
            outbox_pending=await rt.outbox.pending(),
            outbox_worker=rt.worker.running,
            delivery_pending=await rt.delivery.outbox.pending(),
            dead_letters=await rt.outbox.dead_count() + await rt.delivery.outbox.dead_count(),
        )

    return bp


def create_collector_app(
    platform: str,
    settings: CoreSettings,
    blueprint: Blueprint,
    build_runtime: Callable[[Resources], CollectorRuntime],
    *,
    required: Iterable[str],
    models: Iterable[Definer] = (),
    resources: Resources | None = None,
) -> Quart:
    """A collector's app under `/<platform>`: see the module docstring."""
    blueprints = [blueprint, collector_blueprint(platform)]
    app = create_app(platform, settings, blueprints, platform, resources=resources, models=models)
    status = CollectorStatus.check(platform, settings, required)
    status.install(app)
    key = runtime_key(platform)

    async def outbox_ready(res: Resources) -> tuple[bool, str]:
        rt: CollectorRuntime | None = app.extensions.get(key)
        return (False, "not running") if rt is None else await rt.ready()

    async def durable(res: Resources) -> tuple[bool, str]:
        rt: CollectorRuntime | None = app.extensions.get(key)
        return (True, "not running") if rt is None else await rt.durable(settings)

    add_ready_check(app, f"{platform}_outbox", outbox_ready, required=False)
    add_ready_check(app, f"{platform}_durable", durable, required=True)
    _run_while_serving(app, status, build_runtime)
    return app


def _run_while_serving(
    app: Quart, status: CollectorStatus, build_runtime: Callable[[Resources], CollectorRuntime]
) -> None:
    """Build and start the runtime once the app serves (unless disabled); stop it after."""
    platform, key = status.platform, runtime_key(status.platform)

    # while_serving runs after the core opens Resources and stops before it closes them.
    @app.while_serving
    async def _run_collector() -> AsyncGenerator[None]:
        if not status.enabled:
            log.warning("collector.disabled", platform=platform, missing=status.missing)
            yield
            return
        res = app_resources(app)
        rt = build_runtime(res)
        app.extensions[key] = rt
        app.extensions[SERVICE_KEY] = rt.delivery
        rt.start()
        ok, detail = await rt.durable(res.settings)
        if not ok:
            log.error("collector.outbox_volatile", platform=platform, detail=detail)
        log.info("collector.started", platform=platform, outbox="redis" if res.redis else "table")
        try:
            yield
        finally:
            app.extensions.pop(SERVICE_KEY, None)
            app.extensions.pop(key, None)
            await rt.stop()


# --- webhooks and commands ------------------------------------------------------------------


async def signed_request() -> tuple[HeaderMap, bytes]:
    """This webhook request's headers and raw body: the signature is over the raw bytes."""
    body = await request.get_data(cache=True, as_text=False, parse_form_data=False)
    return request.headers, body


def json_object(body: bytes, what: str) -> dict[str, Any]:
    """The webhook body as a JSON object; 400 `invalid_json` / `validation_error` otherwise."""
    try:
        data = json.loads(body)
    except ValueError:
        raise BadRequest(f"{what} is not JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise BadRequest(f"{what} is not a JSON object", code="validation_error")
    return data


def cli_settings[S: CoreSettings](cls: type[S]) -> S | None:
    """Settings from the environment, logging configured; None (said on stderr) if invalid."""
    try:
        settings = cls()
    except ValidationError as exc:
        print(f"waddlebot: invalid settings: {exc.errors()[0].get('msg')}", file=sys.stderr)
        return None
    configure_logging(settings.log_level, settings.log_format)
    return settings


def missing_settings(
    platform: str, settings: CoreSettings, required: Iterable[str], out: Callable[[str], None]
) -> bool:
    """True (after saying which) when a command's required settings are missing."""
    status = CollectorStatus.check(platform, settings, required)
    if status.missing:
        out(f"{platform}: missing settings: {', '.join(status.missing)}")
    return bool(status.missing)


def run_command(
    platform: str, command: Coroutine[Any, Any, int], errors: tuple[type[Exception], ...] = (Exception,)
) -> int:
    """Run a command to its exit code; one of `errors` is one line on stderr and exit code 1."""
    try:
        return asyncio.run(command)
    except errors as exc:
        print(f"waddlebot {platform}: {exc}", file=sys.stderr)
        return 1
