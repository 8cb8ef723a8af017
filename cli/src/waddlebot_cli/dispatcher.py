"""The single-process dispatcher: every service app behind one ASGI callable.

Routing is an exact match of the first path segment, with the scope untouched (no
root_path games), so a blueprint at `/router` sees `/router/...` as it would behind
an ingress. The dispatcher owns the one shared `Resources`, migrates before serving,
fans lifespans out to every app and passes failures on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from quart import Quart

from flask_core import metrics
from flask_core.app import PROBE_METHODS, readiness, run_checks, shared_checks
from flask_core.errors import error_body
from flask_core.logging import get_logger
from flask_core.resources import Resources
from flask_core.settings import CoreSettings
from flask_core.spa import SpaASGI

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
log = get_logger(__name__)


class Dispatcher:
    """Routes `/<prefix>/...` to that service's app; answers the root probes itself."""

    def __init__(self, apps: dict[str, Quart], settings: CoreSettings, *, migrate: bool = True):
        self.apps = apps
        self.settings = settings
        self.migrate = migrate
        self.resources: Resources | None = None
        self.started = False
        self._running: list[Quart] = []
        # The portal's built SPA at `/` (ARCHITECTURE §12), when portal_frontend/dist exists.
        self.spa = SpaASGI.from_settings(settings, reserved=apps)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope.get("path", "/")
        first = path.split("/", 2)[1] if path.startswith("/") else ""
        app = self.apps.get(first)
        if app is not None:
            await app(scope, receive, send)  # type: ignore[arg-type]
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 4404})
            return
        probe = path in ("/healthz", "/readyz", "/metrics")
        if self.spa is not None and not probe and await self.spa.serve(scope, receive, send):
            return
        if path in ("/healthz", "/readyz", "/metrics") and scope["method"] not in PROBE_METHODS:
            allowed = ", ".join(PROBE_METHODS)
            refusal = error_body("method_not_allowed", "method not allowed", {"allowed": allowed}, None)
            await _json(send, 405, refusal, [(b"allow", allowed.encode())])
            return
        match path:
            case "/healthz":
                await self._healthz(send)
            case "/readyz":
                await self._readyz(send)
            case "/metrics":
                body, content_type = metrics.render()
                await _respond(send, 200, body, content_type)
            case _:
                await _json(send, 404, error_body("not_found", "not found", None, None))

    async def startup(self) -> None:
        """Open the shared Resources, migrate, then start every app (in prefix order)."""
        res = await Resources.open(self.settings, local_app=self)
        self.resources = res
        for app in self.apps.values():
            for definer in app.extensions["waddlebot.models"]:
                res.db.add_models(definer)
        if self.migrate:
            tables = await res.db.migrate()
            log.info("runner.migrated", tables=len(tables))
        for name, app in self.apps.items():
            app.extensions["waddlebot.resources"] = res
            try:
                await app.startup()
            except Exception:
                log.exception("runner.service_start_failed", service=name)
                await self.shutdown()
                raise
            self._running.append(app)
        self.started = True
        log.info("runner.started", services=list(self.apps), url=self.settings.self_url)
        from .runner import release_startup_memory

        release_startup_memory()

    async def shutdown(self) -> None:
        self.started = False
        while self._running:
            app = self._running.pop()
            try:
                await app.shutdown()
            except Exception:
                log.exception("runner.service_stop_failed", service=app.name)
        if self.resources is not None:
            await self.resources.close()
            self.resources = None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _healthz(self, send: Send) -> None:
        if not self.started:
            await _json(send, 503, error_body("dependency_unavailable", "starting", None, None))
            return
        await _json(send, 200, {"status": "ok", "services": list(self.apps)})

    async def _readyz(self, send: Send) -> None:
        if not self.started:
            await _json(send, 503, error_body("dependency_unavailable", "starting", None, None))
            return
        assert self.resources is not None
        # The shared database and Redis are checked once, not once per app.
        shared = run_checks(self.resources, shared_checks(self.resources))
        per_app = (readiness(app, shared=False) for app in self.apps.values())
        (shared_ok, shared_details), *answers = await asyncio.gather(shared, *per_app)
        services = {
            name: {"ok": ok, "checks": checks} for name, (ok, checks) in zip(self.apps, answers, strict=True)
        }
        ready = shared_ok and all(ok for ok, _ in answers)
        details = {"shared": shared_details, "services": services}
        if not ready:
            await _json(send, 503, error_body("dependency_unavailable", "not ready", details, None))
            return
        await _json(send, 200, {"status": "ready", **details})


async def _json(send: Send, status: int, payload: Any, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    await _respond(send, status, json.dumps(payload).encode(), "application/json", extra)


async def _respond(
    send: Send, status: int, body: bytes, content_type: str, extra: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
