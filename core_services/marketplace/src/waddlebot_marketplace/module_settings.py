"""A module's per-community settings live in the module; the marketplace is their front door
(decision 0078).

A module whose manifest has a `settings_schema` serves `GET` and `PUT
/<name>/api/v1/communities/{id}/settings` (the AI, shoutout and music services already do,
for their own screens), and its handlers read them from its own tables. The marketplace
checks a change against the schema first (422 naming each field), then passes it on, so
the modules screen and a module's own screen change the same values. A built-in is called
with a service token from `marketplace`; an external module with a token signed by its own
secret (decision 0056), at its registered URL.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from flask_core.errors import DependencyUnavailable, ServiceError
from flask_core.resources import Resources
from flask_core.tokens import mint_service_token

from . import client as owner_client  # its raise_for: the module's error relayed as it is
from . import service
from .settings import MarketplaceSettings

if TYPE_CHECKING:
    import jsonschema  # type: ignore[import-untyped]  # no stubs in the lock

PREFIX = "marketplace"


def schema_of(entry: dict[str, Any]) -> dict[str, Any]:
    schema = (entry.get("manifest") or {}).get("settings_schema") or {}
    return schema if isinstance(schema, dict) else {}


def _field_error(error: jsonschema.ValidationError) -> list[dict[str, Any]]:
    """One jsonschema error as pydantic-style items (`loc`, `msg`, `type`) naming the field."""
    where = ["body", "settings", *(str(p) for p in error.absolute_path)]
    kind = f"json_schema.{error.validator}"
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "required":
        missing = [p for p in error.validator_value if p not in instance]
        return [{"loc": [*where, p], "msg": "This field is required.", "type": kind} for p in missing]
    if error.validator == "additionalProperties":
        known = set((error.schema.get("properties") or {}) if isinstance(error.schema, dict) else ())
        extra = [p for p in instance if p not in known]
        return [{"loc": [*where, p], "msg": "This module has no such setting.", "type": kind} for p in extra]
    return [{"loc": where, "msg": error.message[:300], "type": kind}]


def validate(entry: dict[str, Any], values: dict[str, Any]) -> None:
    """422 `validation_error` with one pydantic-style item per bad field."""
    schema = schema_of(entry)
    if not schema:
        if values:
            raise ServiceError(
                "this module has no settings", code="validation_error", status=422,
                details=[{"loc": ["body", "settings"], "msg": "This module has no settings.",
                          "type": "extra"}],
            )  # fmt: skip
        return
    import jsonschema  # only when settings are written (not at start-up: decision 0087)

    try:
        checker = jsonschema.Draft202012Validator(schema)
        errors = sorted(checker.iter_errors(values), key=lambda e: [str(p) for p in e.absolute_path])
    except jsonschema.SchemaError:
        raise ServiceError("the module's settings schema is broken", code="internal", status=500) from None
    if errors:
        details = [item for error in errors for item in _field_error(error)]
        raise ServiceError(
            "settings do not match the module's settings schema",
            code="validation_error",
            status=422,
            details=details,
        )


def only_schema_fields(entry: dict[str, Any], answer: Any) -> dict[str, Any]:
    """The module's answer cut to the schema's properties (an AI answer also says `effective`)."""
    if not isinstance(answer, dict):
        return {}
    properties = schema_of(entry).get("properties")
    if not isinstance(properties, dict):
        return answer
    return {k: v for k, v in answer.items() if k in properties}


async def _call(
    res: Resources, name: str, entry: dict[str, Any], method: str, community_id: int, body: Any = None
) -> httpx.Response:
    settings = res.settings
    timeout = settings.marketplace_settings_timeout if isinstance(settings, MarketplaceSettings) else 3.0
    path = f"/{name}/api/v1/communities/{community_id}/settings"
    client = res.http.for_service(PREFIX)
    if entry.get("kind") == "external":
        secret = await res.db.read(service.module_secret, name)
        base = str(entry.get("base_url") or "").rstrip("/")
        if not secret or not base:
            raise DependencyUnavailable(f"{name} cannot be reached", details={"module": name})
        token = mint_service_token(secret, PREFIX, name)
        return await client.request(
            method, base + path, json=body, timeout=timeout, retries=0 if method == "PUT" else None,
            headers={"Authorization": f"Bearer {token}"}, breaker_key=f"external:{name}",
        )  # fmt: skip
    retries = 0 if method == "PUT" else None
    return await client.call(name, method, path, json=body, timeout=timeout, retries=retries)


async def read(res: Resources, name: str, entry: dict[str, Any], community_id: int) -> dict[str, Any]:
    """The module's current settings for a community (503 when it cannot say)."""
    answer = owner_client.raise_for(await _call(res, name, entry, "GET", community_id), name)
    return only_schema_fields(entry, answer)


async def read_or_none(
    res: Resources, name: str, entry: dict[str, Any], community_id: int
) -> dict[str, Any] | None:
    try:
        return await read(res, name, entry, community_id)
    except ServiceError:
        return None


async def write(
    res: Resources, name: str, entry: dict[str, Any], community_id: int, values: dict[str, Any]
) -> dict[str, Any]:
    """Pass a checked change on to the module; its answer (the settings now) comes back."""
    answer = owner_client.raise_for(await _call(res, name, entry, "PUT", community_id, values), name)
    return only_schema_fields(entry, answer)


async def read_many(
    res: Resources, community_id: int, wanted: list[tuple[str, dict[str, Any]]]
) -> list[dict[str, Any] | None]:
    """Current settings of several modules at once (None where a module did not answer)."""
    return list(await asyncio.gather(*(read_or_none(res, n, e, community_id) for n, e in wanted)))
