"""The labels REST API (service token): thin handlers that validate, call service.py, answer.

Portal-facing lists follow §12 (`limit`, `cursor`, `q`, `sort` → `{items, next_cursor}`);
writes answer the new state. Ids of another community are 404.
"""

from __future__ import annotations

from quart import Blueprint
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from flask_core import NotFound, require_service
from flask_core.app import resources
from flask_core.auth import current_service
from flask_core.openapi import NoContent, error_responses

from . import pages, service
from .commands import limits
from .models import ENTITY_ID_MAX
from .schemas import (
    AssignIn,
    EntityLabels,
    LabelIn,
    LabelOut,
    LabelPage,
    LabelPatch,
    LabelQuery,
    SearchPage,
    SearchQuery,
    TaggedOut,
)

bp = Blueprint("labels", __name__)

BASE = "/api/v1/communities/<int:community_id>"
LABELS = BASE + "/labels"
LABEL = LABELS + "/<int:label_id>"
ENTITIES = BASE + "/entities"
# `string:` on every part: quart-schema's path regex would swallow untyped parts before a typed one.
ENTITY = ENTITIES + "/<string:entity_type>/<string:entity_id>/labels"
MAX_ID = 2**63 - 1  # bigint columns: larger ids cannot exist


def _check(community_id: int, label_id: int = 1, entity_id: str = "x") -> None:
    if community_id > MAX_ID or not 0 < label_id <= MAX_ID or not 0 < len(entity_id) <= ENTITY_ID_MAX:
        raise NotFound("not found")


def _caller() -> str:
    return f"service:{current_service() or 'unknown'}"


async def _entity_state(community_id: int, entity_type: str, entity_id: str) -> EntityLabels:
    labels = await service.entity_labels(resources().db, community_id, entity_type, entity_id)
    return EntityLabels(
        entity_type=entity_type, entity_id=entity_id, items=[LabelOut.of(label) for label in labels]
    )


@bp.get(LABELS)
@require_service
@validate_querystring(LabelQuery)
@validate_response(LabelPage)
async def list_labels(community_id: int, query_args: LabelQuery) -> LabelPage:
    """The community's labels; `q` matches part of the name; `sort` by name or creation."""
    _check(community_id)
    offset = pages.decode(query_args.cursor)
    found, more = await service.list_labels(
        resources().db, community_id, q=query_args.q or "", sort=query_args.sort,
        offset=offset, limit=query_args.limit,
    )  # fmt: skip
    return LabelPage(
        items=[LabelOut.of(label) for label in found], next_cursor=pages.next_cursor(offset, len(found), more)
    )


@bp.post(LABELS)
@require_service
@validate_request(LabelIn)
@validate_response(LabelOut, 201)
@error_responses(409)
async def create_label(community_id: int, data: LabelIn) -> tuple[LabelOut, int]:
    """A new label; a name the community has already is a 409."""
    _check(community_id)
    label = await service.create_label(
        resources().db, community_id, data.name, colour=data.colour, category=data.category,
        system=data.system, by=_caller(),
    )  # fmt: skip
    return LabelOut.of(label), 201


@bp.get(LABEL)
@require_service
@validate_response(LabelOut)
async def get_label(community_id: int, label_id: int) -> LabelOut:
    _check(community_id, label_id)
    return LabelOut.of(await service.get_label(resources().db, community_id, label_id))


@bp.patch(LABEL)
@require_service
@validate_request(LabelPatch)
@validate_response(LabelOut)
@error_responses(409)
async def update_label(community_id: int, label_id: int, data: LabelPatch) -> LabelOut:
    """Rename, recolour or recategorise; system labels are immutable (409 `system_label`)."""
    _check(community_id, label_id)
    label = await service.update_label(
        resources().db, community_id, label_id, name=data.name, colour=data.colour, category=data.category
    )
    return LabelOut.of(label)


@bp.delete(LABEL)
@require_service
@document_response(NoContent, 204)
@error_responses(409)
async def delete_label(community_id: int, label_id: int) -> tuple[str, int]:
    """Delete a label and take it off everything; system labels are immutable (409)."""
    _check(community_id, label_id)
    await service.delete_label(resources().db, community_id, label_id)
    return "", 204


@bp.get(ENTITY)
@require_service
@validate_response(EntityLabels)
async def get_entity_labels(community_id: int, entity_type: str, entity_id: str) -> EntityLabels:
    """An entity's labels (users are `<platform>:<login>`)."""
    _check(community_id, entity_id=entity_id)
    return await _entity_state(community_id, entity_type, entity_id)


@bp.post(ENTITY)
@require_service
@validate_request(AssignIn)
@validate_response(EntityLabels)
@error_responses(409)
async def assign(community_id: int, entity_type: str, entity_id: str, data: AssignIn) -> EntityLabels:
    """Put a label on an entity; past the entity type's limit a 409 `limit_reached`."""
    _check(community_id, entity_id=entity_id)
    labels, _ = await service.assign(
        resources().db, community_id, entity_type, entity_id, data.label,
        limits=limits(resources()), by=_caller(), create=data.create,
    )  # fmt: skip
    return EntityLabels(
        entity_type=entity_type, entity_id=entity_id, items=[LabelOut.of(label) for label in labels]
    )


@bp.delete(ENTITY + "/<int:label_id>")
@require_service
@validate_response(EntityLabels)
async def unassign(community_id: int, entity_type: str, entity_id: str, label_id: int) -> EntityLabels:
    """Take a label off an entity; answers the entity's labels now."""
    _check(community_id, label_id, entity_id)
    labels, _ = await service.unassign(
        resources().db, community_id, entity_type, entity_id, label_id=label_id
    )
    return EntityLabels(
        entity_type=entity_type, entity_id=entity_id, items=[LabelOut.of(label) for label in labels]
    )


@bp.get(ENTITIES)
@require_service
@validate_querystring(SearchQuery)
@validate_response(SearchPage)
async def search(community_id: int, query_args: SearchQuery) -> SearchPage:
    """Entities with `any` (or `all`) of the comma-separated `labels`, by type and id."""
    _check(community_id)
    offset = pages.decode(query_args.cursor)
    found, more = await service.search(
        resources().db, community_id, query_args.labels.split(","), match=query_args.match,
        entity_type=query_args.type, q=query_args.q or "", offset=offset, limit=query_args.limit,
    )  # fmt: skip
    return SearchPage(
        items=[TaggedOut.of(t) for t in found], next_cursor=pages.next_cursor(offset, len(found), more)
    )
