"""Outside payloads on every service: bodies that are not UTF-8, and methods a route lacks."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from flask_core.testing import service_headers
from waddlebot_cli.testing import Fleet

NOT_UTF8 = b'{"text": "caf\xe9 \xff\xfe"}'  # Latin-1 bytes: not valid UTF-8
PROBES = ["/healthz", "/readyz", "/metrics"]


def json_operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, concrete path) of every operation that takes a JSON body."""
    found = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                # integers as 1, anything else as "quote" (a command path, a name …)
                numbers = {
                    p["name"]
                    for p in op.get("parameters", [])
                    if p.get("schema", {}).get("type") == "integer"
                }
                concrete = re.sub(r"\{([^}]+)\}", lambda m: "1" if m.group(1) in numbers else "quote", path)
                found.append((method.upper(), concrete))
    return found


async def test_a_body_that_is_not_utf8_is_invalid_json_on_every_json_endpoint(whole_fleet: Fleet) -> None:
    answers: dict[str, tuple[int, str]] = {}
    for prefix in whole_fleet.dispatcher.apps:
        document = (await whole_fleet.http.get(f"/{prefix}/openapi.json")).json()
        for method, path in json_operations(document):
            response = await whole_fleet.http.request(
                method,
                path,
                content=NOT_UTF8,
                headers={"Content-Type": "application/json", **service_headers(prefix)},
            )
            code = response.json()["error"]["code"] if response.status_code >= 400 else ""
            answers[f"{method} {path}"] = (response.status_code, code)
    families = [
        "POST /router/api/v1/events",
        "POST /router/api/v1/events/batch",
        "POST /router/api/v1/responses",
        "PUT /router/api/v1/communities/1/modules/quote",
        "PATCH /router/api/v1/communities/1/commands/quote",
        "POST /memories/api/v1/commands/quote",
        "POST /memories/api/v1/commands:batch",
        "POST /memories/api/v1/communities/1/quotes",
        "POST /memories/api/v1/events",
        "POST /twitch/api/v1/messages",
        "POST /slack/api/v1/messages",
        "POST /discord/api/v1/messages",
    ]
    assert set(families) <= set(answers)
    assert {op: answer for op, answer in answers.items() if answer != (400, "invalid_json")} == {}


async def test_malformed_json_is_still_invalid_json(whole_fleet: Fleet) -> None:
    response = await whole_fleet.http.post(
        "/router/api/v1/events/batch",
        content=b'{"events": [',
        headers={"Content-Type": "application/json", **service_headers("router")},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", PROBES)
async def test_probes_answer_only_get_and_head_through_the_dispatcher(
    whole_fleet: Fleet, path: str, method: str
) -> None:
    response = await whole_fleet.http.request(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert (await whole_fleet.http.head(path)).status_code == 200
    assert (await whole_fleet.http.get(path)).status_code == 200


@pytest.mark.parametrize("method", ["POST", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", PROBES)
async def test_probes_of_an_app_alone_answer_only_get_and_head(
    make_settings: Any, path: str, method: str
) -> None:
    from quart import Blueprint

    from flask_core.app import create_app
    from flask_core.testing import started

    app = create_app("alone", make_settings(), [Blueprint("alone", __name__)], "alone")
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        client = app.test_client()
        response = await client.open(path, method=method)
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET, HEAD"
        assert (await response.get_json())["error"]["code"] == "method_not_allowed"
        assert (await client.head(path)).status_code == 200


async def test_every_405_names_the_allowed_methods(whole_fleet: Fleet) -> None:
    response = await whole_fleet.http.delete("/router/api/v1/events", headers=service_headers("router"))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert response.json()["error"] == {
        **response.json()["error"],
        "code": "method_not_allowed",
        "details": {"allowed": response.headers["Allow"]},
    }


async def test_a_wrong_method_on_a_quote_is_405_with_allow(whole_fleet: Fleet) -> None:
    async with httpx.AsyncClient(base_url=whole_fleet.url) as http:
        response = await http.put(
            "/memories/api/v1/communities/1/quotes/1", headers=service_headers("memories")
        )
    assert response.status_code == 405
    assert {"GET", "DELETE"} <= set(response.headers["Allow"].split(", "))
