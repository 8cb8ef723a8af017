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
from quart_schema import validate_request

from .app import resources
from .auth import require_service
from .errors import NotFound, ServiceError
from .events import CommandBatch, CommandRequest, Event, Manifest
from .logging import get_logger
from .resources import Resources

log = get_logger(__name__)
Responses = list[dict[str, Any]]


class Accepted(Exception):
    """Raised by a handler that answers later through POST /router/api/v1/responses."""


CommandHandler = Callable[[Resources, CommandRequest], Awaitable[Responses]]
EventHandler = Callable[[Resources, Event, str], Awaitable[Responses]]


class EventDelivery(BaseModel):
    event: Event
    community_id: str


@dataclass(slots=True)
class ModuleSpec:
    manifest: Manifest
    commands: dict[str, CommandHandler]
    events: dict[str, EventHandler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        declared = {c.path for c in self.manifest.commands}
        if declared != set(self.commands):
            raise ValueError(f"handlers {sorted(self.commands)} do not match manifest {sorted(declared)}")


def chat(text: str) -> Responses:
    return [{"type": "chat", "text": text}]


async def run_command(spec: ModuleSpec, res: Resources, request: CommandRequest) -> Responses:
    handler = spec.commands.get(request.command)
    if handler is None:
        raise NotFound("unknown command", details={"command": request.command})
    return await handler(res, request)


def module_blueprint(spec: ModuleSpec) -> Blueprint:
    """The standard routes of an interaction module."""
    bp = Blueprint(f"{spec.manifest.name}_module", __name__)

    @bp.get("/api/v1/manifest")
    @require_service
    async def manifest() -> Any:
        return spec.manifest.model_dump(mode="json")

    @bp.post("/api/v1/commands/<path:command>")
    @require_service
    @validate_request(CommandRequest)
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
    async def command_batch(data: CommandBatch) -> Any:
        res = resources()

        async def one(request: CommandRequest) -> dict[str, Any]:
            try:
                return {"status": "ok", "responses": await run_command(spec, res, request)}
            except Accepted:
                return {"status": "accepted", "responses": []}
            except ServiceError as exc:
                return {"status": "error", "responses": [], "error": exc.code}
            except Exception:
                log.exception("module.command_failed", command=request.command)
                return {"status": "error", "responses": [], "error": "internal"}

        return {"results": await asyncio.gather(*(one(r) for r in data.requests))}

    @bp.post("/api/v1/events")
    @require_service
    @validate_request(EventDelivery)
    async def event(data: EventDelivery) -> Any:
        handler = spec.events.get(data.event.type)
        if handler is None:
            return {"responses": []}
        return {"responses": await handler(resources(), data.event, data.community_id)}

    return bp
