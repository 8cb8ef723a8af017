"""A module in the same process is a function call (decision 0007).

In the single-process mode (`waddlebot run`) every service is mounted in one dispatcher,
so a module call through HTTP costs a second Quart request cycle for nothing. `call`
runs the module's handlers directly instead: the same `ModuleSpec`, the same request
validation (a JSON body is validated into the same models the routes use; a caller that
already holds that model, such as the router's `CommandRequest`, passes it as it is), the same
invocation records (`run_command` / `run_batch` / `run_event`), and the caller's time
budget. The decision is made in one place, `HttpClient.local_service`: the module is
in process when the dispatcher mounts it and its `<PREFIX>_URL` is the process's own
address, which is the rule the HTTP transport already follows. In the fleet every
module has its own URL and the router calls it over HTTP as before.

    await call(res, module, path, body, budget) -> None (not in this process: use HTTP)
        | (status, body) like an HTTP 200/202 | a failure reason like the HTTP path's
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

from pydantic import ValidationError

from .errors import ServiceError
from .events import CommandBatch, CommandRequest
from .logging import get_logger
from .metrics import counter
from .module import SPEC_KEY, Accepted, EventDelivery, ModuleSpec, run_batch, run_command, run_event
from .resources import Resources

log = get_logger(__name__)
RESOURCES_KEY = "waddlebot.resources"
CALLS = counter("waddlebot_module_in_process_calls_total", "Module calls answered in process", ("route",))


async def call(
    res: Resources, module: str, path: str, body: Any, budget: float
) -> tuple[int, Any] | str | None:
    """Answer `POST <path>` of an in-process module, or None when it is not in this process."""
    route = path.removeprefix(f"/{module}/api/v1/")
    if not (route in ("commands:batch", "events") or route.startswith("commands/")):
        return None  # the module's own REST API (e.g. alias expansion) goes through its routes
    app = res.http.local_service(module)
    spec: ModuleSpec | None = app.extensions.get(SPEC_KEY) if app is not None else None
    if app is None or spec is None:
        return None
    module_res: Resources | None = app.extensions.get(RESOURCES_KEY)
    if module_res is None:
        return "503"  # mounted but not serving yet: retryable, like the HTTP answer
    CALLS.labels(module, route.split("/", 1)[0]).inc()
    try:
        async with asyncio.timeout(budget):
            return await _route(spec, module_res, route, body)
    except TimeoutError:
        return "timeout"
    except ValidationError:
        return "422"
    except ServiceError as exc:
        return str(exc.status)
    except Exception:
        log.exception("module.in_process_failed", module=module, route=route)
        return "500"


async def _route(spec: ModuleSpec, res: Resources, route: str, body: Any) -> tuple[int, Any] | str:
    # A body the caller already holds as the route's model (the router's CommandRequest,
    # built from an Event it validated) is used as it is: no dump and no second validation.
    if route == "commands:batch":
        batch = body if isinstance(body, CommandBatch) else CommandBatch.model_validate(body)
        return 200, {"results": await run_batch(spec, res, batch.requests)}
    if route == "events":
        data = body if isinstance(body, EventDelivery) else EventDelivery.model_validate(body)
        return 200, {"responses": await run_event(spec, res, data)}
    if route.startswith("commands/"):
        request = body if isinstance(body, CommandRequest) else CommandRequest.model_validate(body)
        if " ".join(unquote(p) for p in route.removeprefix("commands/").split("/")) != request.command:
            return "422"
        try:
            return 200, {"responses": await run_command(spec, res, request)}
        except Accepted:
            return 202, None
    return "404"
