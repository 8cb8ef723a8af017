"""What every interaction module serves (§4.3, §4.6), built from a manifest and handlers.

A module declares `Manifest` and one async handler per command path; this builds the
blueprint with `GET /api/v1/manifest`, `POST /api/v1/commands/<path>`,
`POST /api/v1/commands:batch` and `POST /api/v1/events` (subscribed events).

Every invocation runs once (`flask_core.invocations`): a repeated `invocation_id` is
answered from its record, and a handler's database writes take the invocation's write
record in the same unit of work, so a retried `!quote add` adds one quote.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from quart import Blueprint
from quart_schema import validate_request, validate_response

from . import invocations
from .app import resources
from .auth import require_service
from .database import is_integrity_error
from .errors import NotFound, ServiceError
from .events import CommandBatch, CommandBatchResult, CommandRequest, CommandResult, Event, Manifest
from .logging import get_logger
from .metrics import counter
from .resources import Resources

log = get_logger(__name__)
Responses = list[dict[str, Any]]
REPEATS = counter(
    "waddlebot_module_repeated_invocations_total", "Invocations answered from their record", ("source",)
)
ANSWER_TTL = 600.0  # the short-lived answer record (cache); write records live 24 h
SWEEP_EVERY = 600.0
DONE = "Done."  # the answer to a repeat whose first run wrote but never stored its answer
ANSWER_WAIT = 2.0  # how long a repeat waits for the first run's answer


class Accepted(Exception):
    """Raised by a handler that answers later through POST /router/api/v1/responses."""


CommandHandler = Callable[[Resources, CommandRequest], Awaitable[Responses]]
#: Answers several requests of one command at once (e.g. in one database unit of work),
#: in order. Used by `commands:batch`; single calls still go to the CommandHandler.
BatchHandler = Callable[[Resources, list[CommandRequest]], Awaitable[list[Responses]]]
EventHandler = Callable[[Resources, Event, str], Awaitable[Responses]]


class EventDelivery(BaseModel):
    event: Event
    community_id: str
    invocation_id: str | None = None  # uuid5(event_id|module): a repeat is answered once


class CommandAccepted(BaseModel):
    """202: the module answers later through POST /router/api/v1/responses."""

    accepted: bool = True


@dataclass(slots=True)
class ModuleSpec:
    manifest: Manifest
    commands: dict[str, CommandHandler]
    events: dict[str, EventHandler] = field(default_factory=dict)
    batch: dict[str, BatchHandler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        declared = {c.path for c in self.manifest.commands}
        if declared != set(self.commands):
            raise ValueError(f"handlers {sorted(self.commands)} do not match manifest {sorted(declared)}")
        if not set(self.batch) <= declared:
            raise ValueError(f"batch handlers {sorted(self.batch)} are not all in the manifest")


def chat(text: str) -> Responses:
    return [{"type": "chat", "text": text}]


async def run_command(spec: ModuleSpec, res: Resources, request: CommandRequest) -> Responses:
    handler = spec.commands.get(request.command)
    if handler is None:
        raise NotFound("unknown command", details={"command": request.command})
    return await once(res, spec.manifest.name, request.invocation_id, lambda: handler(res, request))


async def once(
    res: Resources, module: str, invocation_id: str, call: Callable[[], Awaitable[Responses]]
) -> Responses:
    """Run `call` once per (module, invocation): a repeat is answered from its record."""
    key = f"{module}:{invocation_id}"
    cached = await _cached(res, key)
    if cached is not None:
        REPEATS.labels(module, "answer").inc()
        return cached
    record = invocations.WriteRecord(key)
    token = invocations.UNIT_HOOK.set(record)
    try:
        responses = await call()
    except invocations.AlreadyRecorded as exc:
        REPEATS.labels(module, "write").inc()
        log.info("module.repeated_invocation", module=module, invocation_id=invocation_id)
        if exc.responses is not None:
            return exc.responses
        # A copy still running, or a process that died between its write and storing the
        # answer: wait a moment for the answer; the write stands either way, and the asker
        # gets an answer rather than silence.
        return await _wait_for_answer(res, key)
    except Exception as exc:  # a concurrent copy took the write record first
        if not is_integrity_error(exc) or record.taken:
            raise
        exists, prior = await res.db.read(invocations.read_record, key)
        if not exists:
            raise
        REPEATS.labels(module, "write").inc()
        return prior if prior is not None else await _wait_for_answer(res, key)
    finally:
        invocations.UNIT_HOOK.reset(token)
    if record.taken:
        await res.db.run(invocations.store_answer, key, responses)
        await _sweep(res)
    await _remember(res, key, responses)
    return responses


async def _wait_for_answer(res: Resources, key: str) -> Responses:
    deadline = time.monotonic() + ANSWER_WAIT
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        _, answer = await res.db.read(invocations.read_record, key)
        if answer is not None:
            return answer
    return chat(DONE)


async def _cached(res: Resources, key: str) -> Responses | None:
    value = await res.cache.get(f"invocation:{key}")
    return value if isinstance(value, list) else None


async def _remember(res: Resources, key: str, responses: Responses) -> None:
    await res.cache.set(f"invocation:{key}", responses, ANSWER_TTL)


async def _sweep(res: Resources) -> None:
    """Forget write records older than a day, now and then (any replica may do it)."""
    now = time.monotonic()
    if now - float(res.extras.get("invocations.swept", -SWEEP_EVERY)) < SWEEP_EVERY:
        return
    res.extras["invocations.swept"] = now
    try:
        await res.db.run(invocations.sweep)
    except Exception as exc:  # the records are only kept longer
        log.warning("module.sweep_failed", error=repr(exc))


async def _attempt[T](call: Awaitable[T], command: str) -> tuple[T | None, dict[str, Any] | None]:
    """(value, None) on success, else (None, the batch item that says what went wrong)."""
    try:
        return await call, None
    except Accepted:
        return None, {"status": "accepted", "responses": []}
    except ServiceError as exc:
        return None, {"status": "error", "responses": [], "error": exc.code}
    except Exception:
        log.exception("module.command_failed", command=command)
        return None, {"status": "error", "responses": [], "error": "internal"}


async def run_batch(spec: ModuleSpec, res: Resources, requests: list[CommandRequest]) -> list[dict[str, Any]]:
    """Results in request order; commands with a batch handler are answered per group."""
    results: list[dict[str, Any]] = [{} for _ in requests]
    groups: dict[str, list[int]] = {}
    singles: list[int] = []
    for index, request in enumerate(requests):
        (groups.setdefault(request.command, []) if request.command in spec.batch else singles).append(index)

    async def group(command: str, indexes: list[int]) -> None:
        handler = spec.batch[command]  # read-only by contract: answered from records when repeated
        keys = [f"invocation:{spec.manifest.name}:{requests[i].invocation_id}" for i in indexes]
        known = await res.cache.get_many(keys)  # one round trip for the group's answer records
        for position, i in enumerate(indexes):
            if isinstance(known[position], list):
                results[i] = {"status": "ok", "responses": known[position]}
        asked = [p for p in range(len(indexes)) if not isinstance(known[p], list)]
        if not asked:
            return
        answers, failure = await _attempt(handler(res, [requests[indexes[p]] for p in asked]), command)
        if answers is not None and len(answers) != len(asked):
            log.error("module.batch_handler_miscounted", command=command)
            answers, failure = None, {"status": "error", "responses": [], "error": "internal"}
        for n, p in enumerate(asked):
            results[indexes[p]] = failure or {"status": "ok", "responses": answers[n] if answers else []}
        if failure is None:  # the group's answer records, in one round trip
            await res.cache.set_many({keys[p]: results[indexes[p]]["responses"] for p in asked}, ANSWER_TTL)

    async def single(index: int) -> None:
        request = requests[index]
        responses, failure = await _attempt(run_command(spec, res, request), request.command)
        results[index] = failure or {"status": "ok", "responses": responses}

    await asyncio.gather(*(group(c, ix) for c, ix in groups.items()), *(single(i) for i in singles))
    return results


async def run_event(spec: ModuleSpec, res: Resources, data: EventDelivery) -> Responses:
    """A subscribed event for this module; once per invocation when the router gives one."""
    handler = spec.events.get(data.event.type)
    if handler is None:
        return []
    if data.invocation_id is None:
        return await handler(res, data.event, data.community_id)
    return await once(
        res, spec.manifest.name, data.invocation_id, lambda: handler(res, data.event, data.community_id)
    )


#: Where an app that serves a module keeps its ModuleSpec (for in-process calls).
SPEC_KEY = "waddlebot.module_spec"


def module_blueprint(spec: ModuleSpec) -> Blueprint:
    """The standard routes of an interaction module."""
    bp = Blueprint(f"{spec.manifest.name}_module", __name__)
    bp.record_once(lambda state: state.app.extensions.setdefault(SPEC_KEY, spec))

    @bp.get("/api/v1/manifest")
    @require_service
    @validate_response(Manifest)
    async def manifest() -> Any:
        return spec.manifest.model_dump(mode="json")

    @bp.post("/api/v1/commands/<path:command>")
    @require_service
    @validate_request(CommandRequest)
    @validate_response(CommandResult)
    @validate_response(CommandAccepted, 202)
    async def command(command: str, data: CommandRequest) -> Any:
        if " ".join(command.split("/")) != data.command:
            raise ServiceError("path and command differ", code="validation_error", status=422)
        try:
            responses = await run_command(spec, resources(), data)
        except Accepted:
            return {"accepted": True}, 202
        return {"responses": responses}

    @bp.post("/api/v1/commands:batch")
    @require_service
    @validate_request(CommandBatch)
    @validate_response(CommandBatchResult)
    async def command_batch(data: CommandBatch) -> Any:
        return {"results": await run_batch(spec, resources(), data.requests)}

    @bp.post("/api/v1/events")
    @require_service
    @validate_request(EventDelivery)
    @validate_response(CommandResult)
    async def event(data: EventDelivery) -> Any:
        return {"responses": await run_event(spec, resources(), data)}

    return bp
