"""What every interaction module serves (§4.3, §4.6), built from a manifest and handlers.

A module declares `Manifest` and one async handler per command path; this builds the
blueprint with `GET /api/v1/manifest`, `POST /api/v1/commands/<path>`,
`POST /api/v1/commands:batch` and `POST /api/v1/events` (subscribed events).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from quart import Blueprint
from quart_schema import validate_request, validate_response

from .app import resources
from .auth import require_service
from .errors import NotFound, ServiceError
from .events import CommandBatch, CommandBatchResult, CommandRequest, CommandResult, Event, Manifest
from .logging import get_logger
from .resources import Resources

log = get_logger(__name__)
Responses = list[dict[str, Any]]


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
    return await handler(res, request)


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
        handler = spec.batch[command]
        answers, failure = await _attempt(handler(res, [requests[i] for i in indexes]), command)
        if answers is not None and len(answers) != len(indexes):
            log.error("module.batch_handler_miscounted", command=command)
            answers, failure = None, {"status": "error", "responses": [], "error": "internal"}
        for position, i in enumerate(indexes):
            results[i] = failure or {"status": "ok", "responses": answers[position] if answers else []}

    async def single(index: int) -> None:
        request = requests[index]
        responses, failure = await _attempt(run_command(spec, res, request), request.command)
        results[index] = failure or {"status": "ok", "responses": responses}

    await asyncio.gather(*(group(c, ix) for c, ix in groups.items()), *(single(i) for i in singles))
    return results


def module_blueprint(spec: ModuleSpec) -> Blueprint:
    """The standard routes of an interaction module."""
    bp = Blueprint(f"{spec.manifest.name}_module", __name__)

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
        handler = spec.events.get(data.event.type)
        if handler is None:
            return {"responses": []}
        return {"responses": await handler(resources(), data.event, data.community_id)}

    return bp
