"""The marketplace API: catalogue, installs with settings schemas, conflicts (409), the music
rule, command settings, lists with limit/cursor/q/sort, tenancy, external modules."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from flask_core.auth import verify_service_token
from flask_core.testing import FakeHttpServer, Recorded, service_headers
from waddlebot_marketplace import ops, service

BASE = "/marketplace/api/v1"


def auth() -> dict[str, str]:
    return service_headers("marketplace", issuer="portal")


def manifest(name: str, *paths: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name, "version": "1.0.0", "description": f"{name} things",
        "commands": [{"path": p, "description": p} for p in paths], "settings_schema": schema or {},
    }  # fmt: skip


MUSIC = ("sr", "queue", "song", "skip")
SCHEMA = {
    "type": "object",
    "properties": {"max_queue": {"type": "integer", "minimum": 1, "maximum": 50}},
    "additionalProperties": False,
}


async def seed(client: Any) -> None:
    res = client.app.extensions["waddlebot.resources"]
    catalogue = {
        "memories": manifest("memories", "quote", "quote add"),
        "youtube_music": manifest("youtube_music", *MUSIC, schema=SCHEMA),
        "spotify": manifest("spotify", *MUSIC),
        "alias": manifest("alias", "alias add"),
        "shoutout": manifest("shoutout", "so", "quote"),  # clashes with memories on !quote
        "community": manifest("community", "community info"),
    }
    await ops.store_manifests(res, catalogue, {n: "http://x" for n in catalogue})


async def put(client: Any, community: int, name: str, **body: Any) -> Any:
    return await client.put(f"{BASE}/communities/{community}/modules/{name}", json=body, headers=auth())


async def test_installs_conflicts_music_and_settings(client: Any) -> None:
    await seed(client)
    assert (await put(client, 1, "memories")).status_code == 200
    clash = await put(client, 1, "shoutout")
    assert clash.status_code == 409
    error = (await clash.get_json())["error"]
    assert error["code"] == "command_conflict" and error["details"]["commands"] == ["quote"]
    assert error["details"]["conflicts_with"] == ["memories"]
    assert (await put(client, 1, "shoutout", enabled=False)).status_code == 200  # installed, off: no clash
    core = await put(client, 1, "community", enabled=False)
    assert core.status_code == 409 and (await core.get_json())["error"]["code"] == "core_module"
    assert (await put(client, 1, "nosuch")).status_code == 404

    bad = await put(client, 1, "youtube_music", settings={"max_queue": 500, "colour": "red"})
    assert bad.status_code == 422
    details = (await bad.get_json())["error"]["details"]
    assert [d["loc"] for d in details] == [["body", "settings", "colour"], ["body", "settings", "max_queue"]]
    assert (await put(client, 1, "youtube_music", settings={"x": 1})).status_code == 422
    assert (await put(client, 1, "memories", settings={"x": 1})).status_code == 422  # no settings at all
    assert (await put(client, 1, "youtube_music")).status_code == 200
    swapped = await (await put(client, 1, "spotify")).get_json()
    assert swapped["enabled"] is True and swapped["disabled"] == ["youtube_music"]
    kept = await (await put(client, 1, "youtube_music")).get_json()
    assert kept["enabled"] is False and kept["disabled"] == []  # `enabled` left out: as it is
    back = await (await put(client, 1, "youtube_music", enabled=True)).get_json()
    assert back["disabled"] == ["spotify"]
    assert back["settings"] is None  # the module (http://x here) did not answer: unknown, not {}
    config = await (await client.get(f"{BASE}/communities/1/config", headers=auth())).get_json()
    assert config["modules"] == ["memories", "youtube_music"]

    page = await (
        await client.get(f"{BASE}/communities/1/modules?limit=2&sort=-name", headers=auth())
    ).get_json()
    assert [m["name"] for m in page["items"]] == ["youtube_music", "spotify"]
    music = page["items"][0]
    assert (music["installed"], music["enabled"], music["settings_schema"]) == (True, True, SCHEMA)
    assert music["conflicts_with"] == ["spotify"] and music["exclusive_with"] == ["spotify"]
    rest = await client.get(
        f"{BASE}/communities/1/modules?limit=2&sort=-name&cursor={page['next_cursor']}", headers=auth()
    )
    listed = (await rest.get_json())["items"]
    assert [m["name"] for m in listed] == ["shoutout", "memories"]
    assert listed[0]["conflicts_with"] == ["memories"] and listed[0]["installed"] is True
    # the catalogue's modules that are not installed here are listed too, to be installed
    alias = (await (await client.get(f"{BASE}/communities/1/modules?q=alias", headers=auth())).get_json())[
        "items"
    ]
    assert [(m["name"], m["installed"], m["enabled"], m["settings"]) for m in alias] == [
        ("alias", False, False, {})
    ]
    assert "community" not in str(
        await (await client.get(f"{BASE}/communities/1/modules", headers=auth())).get_json()
    )
    one = await client.get(f"{BASE}/communities/1/modules/alias", headers=auth())
    assert (await one.get_json())["name"] == "alias"
    assert (await client.get(f"{BASE}/communities/1/modules/community", headers=auth())).status_code == 404
    found = await (await client.get(f"{BASE}/catalogue?q=spotify", headers=auth())).get_json()
    assert [m["name"] for m in found["items"]] == ["spotify"] and found["next_cursor"] is None
    assert (await client.get(f"{BASE}/catalogue?cursor=%%%", headers=auth())).status_code == 422
    assert (await client.get(f"{BASE}/catalogue?sort=secret", headers=auth())).status_code == 422


async def test_command_settings_and_defaults_and_tenancy(client: Any) -> None:
    await seed(client)
    defaults = await client.post(
        f"{BASE}/communities/2/modules:install-defaults", json={"modules": ["memories", "shoutout", "alias"]},
        headers=auth(),
    )  # fmt: skip
    assert await defaults.get_json() == {"installed": ["memories", "alias"], "skipped": ["shoutout"]}
    assert (await put(client, 2, "alias", enabled=False)).status_code == 200
    again = await client.post(
        f"{BASE}/communities/2/modules:install-defaults", json={"modules": ["alias"]}, headers=auth()
    )  # a retried provisioning never undoes the community's choice
    assert await again.get_json() == {"installed": [], "skipped": []}
    assert (await (await client.get(f"{BASE}/communities/2/config", headers=auth())).get_json())[
        "modules"
    ] == ["memories"]
    patched = await client.patch(
        f"{BASE}/communities/2/commands/quote/add", json={"cost": 3, "role": "vip"}, headers=auth()
    )
    state = await patched.get_json()
    assert (state["path"], state["module"], state["cost"], state["role"]) == (
        "quote add",
        "memories",
        3,
        "vip",
    )
    one = await client.get(f"{BASE}/communities/2/commands/quote/add", headers=auth())
    assert (await one.get_json())["cost"] == 3
    assert (await client.get(f"{BASE}/communities/2/commands/nope", headers=auth())).status_code == 404
    cleared = await client.patch(
        f"{BASE}/communities/2/commands/quote add", json={"role": None}, headers=auth()
    )
    assert cleared.status_code == 200
    assert (
        await client.patch(f"{BASE}/communities/2/commands/nosuch", json={"cost": 1}, headers=auth())
    ).status_code == 404
    core = await client.patch(
        f"{BASE}/communities/2/commands/community info", json={"enabled": False}, headers=auth()
    )
    assert core.status_code == 409

    # Another community's ids are never reached through this one.
    mine = await (await client.get(f"{BASE}/communities/2/config", headers=auth())).get_json()
    theirs = await (await client.get(f"{BASE}/communities/3/config", headers=auth())).get_json()
    assert mine["overrides"] == {"quote add": {"cost": 3}} and theirs == {
        "modules": [],
        "installed": [],
        "overrides": {},
    }
    assert (await client.delete(f"{BASE}/communities/3/modules/memories", headers=auth())).status_code == 404
    assert (await client.get(f"{BASE}/communities/2/config", headers=auth())).status_code == 200
    listed = await (await client.get(f"{BASE}/communities/3/commands?q=quote", headers=auth())).get_json()
    assert all(not c["available"] and c["cost"] == 0 for c in listed["items"])
    assert (await client.get(f"{BASE}/communities/0/config", headers=auth())).status_code == 404
    assert (await client.get(f"{BASE}/communities/2/config")).status_code == 401


async def test_an_external_module_is_registered_by_url_and_signed_with_its_own_secret(
    client: Any, fake_http: FakeHttpServer
) -> None:
    seen: list[str] = []

    async def manifest_route(call: Recorded) -> web.Response:
        seen.append(call.headers.get("Authorization", "").removeprefix("Bearer "))
        return web.json_response(manifest("trivia", "trivia"))

    fake_http.route("GET", "/trivia/api/v1/manifest", manifest_route)
    answer = await client.post(
        f"{BASE}/modules", json={"name": "trivia", "url": fake_http.url}, headers=auth()
    )
    assert answer.status_code == 201, await answer.get_data(as_text=True)
    body = await answer.get_json()
    secret = body["secret"]
    assert secret.startswith("wbm_") and body["manifest"]["commands"][0]["path"] == "trivia"
    claims = verify_service_token(seen[0], secret, "trivia")  # signed with its own secret …
    assert claims["iss"] == "marketplace"
    assert secret != client.app.extensions["waddlebot.settings"].internal_jwt_secret.get_secret_value()
    res = client.app.extensions["waddlebot.resources"]
    assert await res.db.read(service.module_secret, "trivia") == secret
    taken = await client.post(
        f"{BASE}/modules", json={"name": "memories", "url": fake_http.url}, headers=auth()
    )
    assert taken.status_code == 409  # a built-in's name
    assert (await put(client, 5, "trivia")).status_code == 200


async def test_an_external_modules_settings_are_passed_on_signed_with_its_own_secret(
    client: Any, fake_http: FakeHttpServer
) -> None:
    stored: dict[str, Any] = {"greeting": "hi"}
    tokens: list[str] = []
    schema = {"type": "object", "properties": {"greeting": {"type": "string", "maxLength": 20}}}

    async def manifest_route(call: Recorded) -> web.Response:
        return web.json_response(manifest("trivia", "trivia", schema=schema))

    async def settings_route(call: Recorded) -> web.Response:
        tokens.append(call.headers.get("Authorization", "").removeprefix("Bearer "))
        if call.method == "PUT":
            stored.update(call.json)
        return web.json_response({**stored, "community_id": 5})

    fake_http.route("GET", "/trivia/api/v1/manifest", manifest_route)
    fake_http.route("*", "/trivia/api/v1/communities/5/settings", settings_route)
    registered = await client.post(
        f"{BASE}/modules", json={"name": "trivia", "url": fake_http.url}, headers=auth()
    )
    secret = (await registered.get_json())["secret"]
    too_long = await put(client, 5, "trivia", settings={"greeting": "x" * 21})
    assert too_long.status_code == 422 and tokens == []  # refused here: the module never asked
    changed = await put(client, 5, "trivia", settings={"greeting": "hello"})
    assert changed.status_code == 200, await changed.get_data(as_text=True)
    assert (await changed.get_json())["settings"] == {"greeting": "hello"}  # cut to the schema's fields
    listed = await (await client.get(f"{BASE}/communities/5/modules?q=trivia", headers=auth())).get_json()
    assert (
        listed["items"][0]["settings"] == {"greeting": "hello"} and listed["items"][0]["kind"] == "external"
    )
    assert all(verify_service_token(t, secret, "trivia")["iss"] == "marketplace" for t in tokens)
    assert len(tokens) == 2
