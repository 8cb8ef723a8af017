"""The router's HTTP API: thin handlers that validate and call the pipeline."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from quart import Blueprint, current_app, request
from quart_schema import (
    document_request,
    document_response,
    validate_querystring,
    validate_request,
    validate_response,
)

from flask_core.app import model_response, resources
from flask_core.auth import current_service, require_service
from flask_core.errors import DependencyUnavailable, NotFound, ServiceError, UnsupportedMediaType
from flask_core.events import MAX_BATCH, Event, EventResult, LateResponses, Manifest
from flask_core.openapi import error_responses

from . import communities, dispatch, messages, portal_lists
from .batch import handle_batch
from .builtins import MANIFEST
from .schemas import (
    CommandList,
    CommandPatch,
    CommandPatched,
    CommunityFound,
    CommunitySettingsOut,
    CommunitySettingsPatch,
    EventBatchIn,
    LateAccepted,
    LateAnswerStatus,
    ModuleMessage,
    ModuleMessageResult,
    ModuleToggle,
    ModuleToggled,
    Results,
)
from .service import TRUSTED_COMMUNITY, Router

bp = Blueprint("router", __name__)


def router() -> Router:
    r: Router | None = current_app.extensions.get("router.service")
    if r is None:
        raise ServiceError("router is starting", code="dependency_unavailable", status=503)
    return r


def _trusted(event: Event) -> Event:
    """Only the portal may name a `web` event's community or act as `admin` there (§12).

    The portal caps the simulated role at its signed-in user's own, so `admin` reaches the
    router only on behalf of an admin; any other caller's `web` event loses both.
    """
    if event.platform != "web" or current_service() == "portal":
        return event
    update: dict[str, Any] = {}
    if TRUSTED_COMMUNITY in event.metadata:
        update["metadata"] = {k: v for k, v in event.metadata.items() if k != TRUSTED_COMMUNITY}
    if "admin" in event.user.roles:
        roles = [r for r in event.user.roles if r != "admin"]
        update["user"] = event.user.model_copy(update={"roles": roles})
    return event.model_copy(update=update) if update else event


@bp.post("/api/v1/events")
@require_service
@validate_request(Event)
@document_response(EventResult)  # documented, not re-serialised: the answer leaves out unset fields
async def post_event(data: Event) -> Any:
    result = await router().handle(_trusted(data))
    return model_response(result, exclude_none=True)


@bp.post("/api/v1/events/batch")
@require_service
@document_request(EventBatchIn)
@document_response(Results)
async def post_batch() -> Any:
    if not request.is_json:
        raise UnsupportedMediaType()
    payload = await request.get_json()
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ServiceError('expected {"events": [...]}', code="validation_error", status=422)
    raw: list[Any] = payload["events"]
    if len(raw) > MAX_BATCH:
        raise ServiceError(
            f"a batch holds at most {MAX_BATCH} events",
            code="batch_too_large",
            status=422,
            details={"max": MAX_BATCH, "got": len(raw)},
        )
    events: list[Event] = []
    for index, item in enumerate(raw):
        try:
            events.append(Event.model_validate(item))
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            raise ServiceError(
                "an event in the batch is not valid",
                code="validation_error",
                status=422,
                details={"index": index, "errors": errors},
            ) from None
    results = await handle_batch(router(), [_trusted(e) for e in events])
    return model_response(Results(results=results), exclude_none=True)


@bp.get("/api/v1/manifest")
@require_service
@validate_response(Manifest)
async def manifest() -> Any:
    return MANIFEST.model_dump(mode="json")


@bp.post("/api/v1/responses")
@require_service
@validate_request(LateResponses)
@validate_response(LateAccepted, 202)
@error_responses(404, 409)
async def late_responses(data: LateResponses) -> Any:
    responses = [r.model_dump(mode="json") for r in data.responses]
    r = router()
    ctx = await r.sessions.answer(data.invocation_id, responses)
    target = dispatch.ReplyTarget.from_session(ctx)
    try:
        await dispatch.deliver(r.res, target, data.invocation_id, responses)
    except DependencyUnavailable:  # 503: the module retries, and its retry is not a 409
        await r.sessions.release_answer(data.invocation_id)
        raise
    return {"invocation_id": data.invocation_id, "delivered": target.through_collector}, 202


@bp.post("/api/v1/messages")
@require_service
@validate_request(ModuleMessage)
@validate_response(ModuleMessageResult)
@error_responses(503)
async def module_message(data: ModuleMessage) -> Any:
    """A module's own message into a chat (§11), delivered once per `message_id`."""
    status = await messages.send(router(), data)
    return {"message_id": data.message_id, "status": status}


@bp.get("/api/v1/responses/<invocation_id>")
@require_service
@validate_response(LateAnswerStatus)
async def get_late_responses(invocation_id: str) -> Any:
    known, responses = await router().sessions.late_answer(invocation_id)
    if not known:
        raise NotFound("unknown or expired invocation", details={"invocation_id": invocation_id})
    status = "answered" if responses else "pending"
    return {"invocation_id": invocation_id, "status": status, "responses": responses}


@bp.put("/api/v1/communities/<int:community_id>/modules/<name>")
@require_service
@validate_request(ModuleToggle)
@validate_response(ModuleToggled)
@error_responses(404, 409)
async def toggle_module(community_id: int, name: str, data: ModuleToggle) -> Any:
    """Kept for callers of the first wave: the marketplace owns this now (decision 0053)."""
    r = router()
    if name not in r.registry.manifests or name == "router":
        raise NotFound("unknown module", details={"module": name})
    await communities.set_module(resources(), community_id, name, data.enabled)
    return {"community_id": community_id, "module": name, "enabled": data.enabled}


@bp.get("/api/v1/communities/<int:community_id>/commands")
@require_service
@validate_response(CommandList)
async def list_commands(community_id: int) -> Any:
    """The command table as this router sees it (the cached read of the marketplace's)."""
    table = await router().table(community_id)
    return {"commands": [spec.to_dict() for path, spec in sorted(table.items()) if path == spec.path]}


@bp.patch("/api/v1/communities/<int:community_id>/commands/<path:path>")
@require_service
@validate_request(CommandPatch)
@validate_response(CommandPatched)
@error_responses(404, 409)
async def patch_command(community_id: int, path: str, data: CommandPatch) -> Any:
    """Kept for callers of the first wave: forwarded to the marketplace, which owns it."""
    r = router()
    asked = " ".join(path.replace("/", " ").split()).lower()
    found = next(
        (
            c.path
            for name, m in r.registry.manifests.items()
            for c in m.commands
            if asked == c.path or asked in c.aliases
        ),
        None,
    )
    if found is None:
        raise NotFound("unknown command", details={"path": asked})
    values = data.model_dump(exclude_unset=True)  # an explicit null clears the community's value
    await communities.patch_command(resources(), community_id, found, values)
    return {"community_id": community_id, "path": found, **values}


@bp.get("/api/v1/communities/by-platform/<platform>/<server_id>")
@require_service
@validate_response(CommunityFound)
@error_responses(404)
async def find_community(platform: str, server_id: str) -> Any:
    """The community a platform server belongs to (the CLI's `<platform>:<server_id>`)."""
    community_id = await communities.find_community(resources(), platform, server_id)
    if community_id is None:
        raise NotFound(
            "no community for this server yet; its first chat message creates it",
            details={"platform": platform, "server_id": server_id},
        )
    return {"community_id": community_id, "platform": platform, "server_id": server_id}


@bp.patch("/api/v1/communities/<int:community_id>/settings")
@require_service
@validate_request(CommunitySettingsPatch)
@validate_response(CommunitySettingsOut)
@error_responses(404)
async def patch_settings(community_id: int, data: CommunitySettingsPatch) -> Any:
    """The community's router settings (kept; the community service owns them now)."""
    values = data.model_dump(exclude_none=True)
    settings = await communities.set_settings(resources(), community_id, values)
    return {
        "community_id": community_id,
        "settings": {"moderators_skip_limits": settings["moderators_skip_limits"]},
    }


@bp.get("/api/v1/communities")
@require_service
@validate_querystring(portal_lists.CommunityQuery)
@validate_response(portal_lists.CommunityPage)
async def list_communities(query_args: portal_lists.CommunityQuery) -> Any:
    """Communities with their platform servers (the portal's community list)."""
    return await portal_lists.communities(resources(), query_args)


@bp.get("/api/v1/communities/<int:community_id>/modules")
@require_service
@validate_querystring(portal_lists.ListQuery)
@validate_response(portal_lists.ModulePage)
async def list_modules(community_id: int, query_args: portal_lists.ListQuery) -> Any:
    """The modules the router knows, and whether each is enabled in the community."""
    r = router()
    return await portal_lists.modules(
        resources(), r.registry, community_id, query_args, r.settings.router_table_ttl
    )
