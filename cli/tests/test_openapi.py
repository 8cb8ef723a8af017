"""Every service's OpenAPI document is valid OpenAPI 3.1 and complete (discovered at run time)."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from waddlebot_cli.services import discover
from waddlebot_cli.testing import Fleet

METHODS = {"get", "put", "post", "delete", "patch"}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


async def documents(fleet: Fleet) -> dict[str, dict[str, Any]]:
    found = {}
    for prefix in fleet.dispatcher.apps:
        response = await fleet.http.get(f"/{prefix}/openapi.json")
        assert response.status_code == 200, prefix
        found[prefix] = response.json()
    return found


def test_every_installed_service_is_in_the_fleet() -> None:
    assert {"router", "memories", "twitch", "slack", "discord"} <= set(discover())


async def test_every_openapi_document_is_valid_openapi_31(whole_fleet: Fleet) -> None:
    for prefix, document in (await documents(whole_fleet)).items():
        assert document["openapi"].startswith("3.1"), prefix
        validate(document)  # raises with the first violation


async def test_every_operation_declares_its_answers_and_credentials(whole_fleet: Fleet) -> None:
    problems: list[str] = []
    for prefix, document in (await documents(whole_fleet)).items():
        schemes = document.get("components", {}).get("securitySchemes", {})
        for method, path, op in operations(document):
            name = f"{prefix}: {method} {path}"
            statuses = set(op["responses"])
            if not any(s.startswith("2") for s in statuses):
                problems.append(f"{name}: no success response")
            for status, answer in op["responses"].items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if status != "204" and "content" not in answer:
                    problems.append(f"{name}: {status} has no content")
                if schema in ({}, None) and "text/plain" not in answer.get("content", {}) and status != "204":
                    problems.append(f"{name}: {status} is untyped")
                if status.startswith(("4", "5")) and schema != {"$ref": "#/components/schemas/ErrorBody"}:
                    problems.append(f"{name}: {status} is not the error shape")
            if "requestBody" in op and op["requestBody"].get("required") is not True:
                problems.append(f"{name}: request body not required")
            security = op.get("security") or []
            if not security:
                problems.append(f"{name}: no security")
            for requirement in security:
                problems.extend(f"{name}: undeclared scheme {s}" for s in requirement if s not in schemes)
            if "/api/v1/" in path and security != [{"serviceToken": []}]:
                problems.append(f"{name}: internal API without the service token")
    assert problems == []


async def test_security_schemes_are_bearer_and_header_api_keys(whole_fleet: Fleet) -> None:
    docs = await documents(whole_fleet)
    token = docs["router"]["components"]["securitySchemes"]["serviceToken"]
    assert token["type"] == "http" and token["scheme"] == "bearer"
    for platform, header in [
        ("twitch", "Twitch-Eventsub-Message-Signature"),
        ("slack", "X-Slack-Signature"),
        ("discord", "X-Signature-Ed25519"),
    ]:
        scheme = docs[platform]["components"]["securitySchemes"][f"{platform}Signature"]
        assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": header}


async def test_router_batch_documents_its_body(whole_fleet: Fleet) -> None:
    document = (await documents(whole_fleet))["router"]
    body = document["paths"]["/router/api/v1/events/batch"]["post"]["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert schema["properties"]["events"]["maxItems"] == 100


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/memories/api/v1/manifest", "Manifest"),
        ("/memories/api/v1/commands/{command}", "CommandResult"),
        ("/memories/api/v1/commands:batch", "CommandBatchResult"),
        ("/memories/api/v1/events", "CommandResult"),
    ],
    ids=["manifest", "command", "batch", "events"],
)
async def test_module_routes_are_typed(whole_fleet: Fleet, path: str, model: str) -> None:
    document = (await documents(whole_fleet))["memories"]
    (op,) = document["paths"][path].values()
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema.get("title") == model or schema.get("$ref", "").endswith(f"/{model}")
