"""The memories HTTP API: module routes (manifest, commands, batch) and the quotes REST API."""

from __future__ import annotations

from typing import Any

import pytest

from flask_core.testing import service_headers

BASE = "/memories/api/v1"
QUOTES = f"{BASE}/communities/1/quotes"


def auth() -> dict[str, str]:
    return service_headers("memories", issuer="router")


async def command(client: Any, body: dict[str, Any]) -> str:
    path = body["command"].replace(" ", "/")
    response = await client.post(f"{BASE}/commands/{path}", json=body, headers=auth())
    assert response.status_code == 200, await response.get_data(as_text=True)
    responses = (await response.get_json())["responses"]
    assert len(responses) == 1 and responses[0]["type"] == "chat"
    return str(responses[0]["text"])


def assert_error(body: dict[str, Any], code: str) -> None:
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["code"] == code


# --- module routes ------------------------------------------------------------------------


async def test_manifest_lists_the_commands_with_roles(client: Any) -> None:
    response = await client.get(f"{BASE}/manifest", headers=auth())
    assert response.status_code == 200
    manifest = await response.get_json()
    assert manifest["name"] == "memories"
    roles = {c["path"]: c["role"] for c in manifest["commands"]}
    assert roles == {
        "quote": "everyone",
        "quote add": "moderator",
        "quote search": "everyone",
        "quote edit": "moderator",
        "quote remove": "moderator",
        "bookmark add": "moderator",
        "bookmark list": "everyone",
        "bookmark search": "everyone",
        "bookmark remove": "moderator",
        "remind": "everyone",
        "remind list": "everyone",
        "remind cancel": "everyone",
    }


async def test_each_command_answers_through_its_path(client: Any, make_body: Any) -> None:
    added = await command(client, make_body("quote add", "hello world - me", metadata={"game": "Doom"}))
    assert added == "Quote #1 added."
    shown = await command(client, make_body("quote", "1"))
    assert shown.startswith('Quote #1: "hello world" — me [Doom] (')
    assert (await command(client, make_body("quote"))).startswith('Quote #1: "hello world"')
    assert (await command(client, make_body("quote search", "WORLD"))).startswith("Quote #1:")
    assert await command(client, make_body("quote remove", "1")) == "Quote #1 removed."
    assert await command(client, make_body("quote", "1")) == "No quote #1: there are no quotes yet."


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nonsense"}, service_headers("router")],
    ids=["no-token", "garbage", "wrong-audience"],
)
async def test_commands_need_a_service_token(client: Any, make_body: Any, headers: Any) -> None:
    response = await client.post(
        f"{BASE}/commands/quote/add", json=make_body("quote add", "x"), headers=headers
    )
    assert response.status_code == 401
    assert_error(await response.get_json(), "unauthorized")
    listing = await client.get(QUOTES, headers=headers)
    assert listing.status_code == 401


async def test_batch_answers_each_request_in_order(client: Any, make_body: Any) -> None:
    assert await command(client, make_body("quote add", "first - a")) == "Quote #1 added."
    requests = [
        make_body("quote", "2"),
        make_body("quote search", "FIRST"),
        make_body("quote", "1", community_id="2"),
    ]
    response = await client.post(f"{BASE}/commands:batch", json={"requests": requests}, headers=auth())
    assert response.status_code == 200
    results = (await response.get_json())["results"]
    assert [r["status"] for r in results] == ["ok", "ok", "ok"]
    texts = [r["responses"][0]["text"] for r in results]
    assert texts[0] == "No quote #2. The only one is #1."
    assert texts[1].startswith('Quote #1: "first" — a (')
    assert texts[2] == "No quote #1: there are no quotes yet."  # another community


async def test_batched_quote_lookups_keep_their_order_among_other_commands(
    client: Any, make_body: Any
) -> None:
    for text in ("one - a", "two - b"):
        await command(client, make_body("quote add", text))
    requests = [
        make_body("quote", "2"),
        make_body("quote search", "one"),
        make_body("quote", "nope"),
        make_body("quote"),
        make_body("quote", "1"),
        make_body("quote", "9"),
        make_body("quote", community_id="7"),
    ]
    response = await client.post(f"{BASE}/commands:batch", json={"requests": requests}, headers=auth())
    texts = [r["responses"][0]["text"] for r in (await response.get_json())["results"]]
    assert texts[0].startswith('Quote #2: "two"')
    assert texts[1].startswith('Quote #1: "one"')
    assert texts[2].startswith("Usage: !quote")
    assert texts[3].startswith(('Quote #1: "one"', 'Quote #2: "two"'))
    assert texts[4].startswith('Quote #1: "one"')
    assert texts[5] == "No quote #9. There are 2, numbered #1 to #2."
    assert texts[6] == "No quotes yet. Moderators can add them."


async def test_a_bad_community_id_is_a_validation_error(client: Any, make_body: Any) -> None:
    body = make_body("quote", community_id="abc")
    response = await client.post(f"{BASE}/commands/quote", json=body, headers=auth())
    assert response.status_code == 422
    assert_error(await response.get_json(), "validation_error")


# --- REST ----------------------------------------------------------------------------------


async def test_rest_create_list_get_delete(client: Any) -> None:
    created = await client.post(
        QUOTES, json={"text": "hi", "author": "bob", "game": "Tetris"}, headers=auth()
    )
    assert created.status_code == 201
    quote = await created.get_json()
    assert quote["number"] == 1 and quote["author"] == "bob" and quote["game"] == "Tetris"
    assert quote["created_by"] == {"platform": "service", "user_id": "router", "username": "router"}
    by = {"platform": "web", "user_id": "p7", "username": "modmin"}
    second = await client.post(QUOTES, json={"text": "yo", "created_by": by}, headers=auth())
    assert (await second.get_json())["created_by"] == by
    listing = await (await client.get(QUOTES, headers=auth())).get_json()
    assert [q["number"] for q in listing["items"]] == [2, 1] and listing["total"] == 2
    one = await client.get(f"{QUOTES}/1", headers=auth())
    assert (await one.get_json())["text"] == "hi"
    deleted = await client.delete(f"{QUOTES}/1", headers=auth())
    assert deleted.status_code == 204
    for method in (client.delete, client.get):
        missing = await method(f"{QUOTES}/1", headers=auth())
        assert missing.status_code == 404
        assert_error(await missing.get_json(), "not_found")
    again = await client.post(QUOTES, json={"text": "new"}, headers=auth())
    assert (await again.get_json())["number"] == 3


async def test_rest_pagination_and_search(client: Any) -> None:
    for i in range(1, 6):
        await client.post(QUOTES, json={"text": f"quote {'odd' if i % 2 else 'even'} {i}"}, headers=auth())
    page = await (await client.get(f"{QUOTES}?limit=2&offset=1", headers=auth())).get_json()
    assert [q["number"] for q in page["items"]] == [4, 3]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    odd = await (await client.get(f"{QUOTES}?q=ODD", headers=auth())).get_json()
    assert [q["number"] for q in odd["items"]] == [5, 3, 1] and odd["total"] == 3
    other = await (await client.get("/memories/api/v1/communities/2/quotes", headers=auth())).get_json()
    assert other == {"items": [], "total": 0, "limit": 20, "offset": 0, "next_cursor": None}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("POST", QUOTES, {"json": {"text": ""}}, 422, "validation_error"),
        ("POST", QUOTES, {"json": {"text": "x" * 401}}, 422, "validation_error"),
        ("POST", QUOTES, {"json": {"text": " \n "}}, 422, "validation_error"),
        ("POST", QUOTES, {"json": {"text": "hi", "number": 5}}, 422, "validation_error"),
        (
            "POST",
            QUOTES,
            {"data": "{bad", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
        ("GET", f"{QUOTES}?limit=0", {}, 422, "validation_error"),
        ("GET", f"{QUOTES}?limit=abc", {}, 422, "validation_error"),
        ("GET", f"{QUOTES}?offset=-1", {}, 422, "validation_error"),
        ("DELETE", f"{QUOTES}/99", {}, 404, "not_found"),
        ("DELETE", f"{QUOTES}/99999999999", {}, 404, "not_found"),
        ("GET", f"{BASE}/communities/abc/quotes", {}, 404, "not_found"),
        ("GET", f"{BASE}/communities/99999999999999999999/quotes", {}, 404, "not_found"),
    ],
    ids=[
        "empty",
        "too-long",
        "blank",
        "extra-field",
        "bad-json",
        "limit-0",
        "limit-word",
        "offset-negative",
        "missing",
        "number-too-big",
        "community-word",
        "community-too-big",
    ],
)
async def test_bad_rest_input_gets_a_4xx_in_the_error_shape(
    client: Any, method: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    kwargs = dict(kwargs)  # parametrised values are shared between the backends
    headers = {**auth(), **kwargs.pop("headers", {})}
    response = await client.open(path, method=method, headers=headers, **kwargs)
    assert response.status_code == status
    assert_error(await response.get_json(), code)
