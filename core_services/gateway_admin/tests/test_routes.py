"""gateway_admin against a fake Kong speaking the Admin API's real paths and shapes."""

from __future__ import annotations

from typing import Any

from flask_core.testing import service_headers
from waddlebot_gateway_admin.app import create_app
from waddlebot_gateway_admin.settings import GatewayAdminSettings

API = "/gateway_admin/api/v1"


def auth(actor: str | None = "user:7") -> dict[str, str]:
    headers = service_headers("gateway_admin", issuer="portal")
    if actor:
        headers["X-Actor"] = actor
    return headers


async def test_consumers_keys_and_groups_with_every_change_audited(client: Any, kong: Any) -> None:
    made = await client.post(f"{API}/consumers", json={"username": "community-42", "custom_id": "42",
                                                       "groups": ["community-api"]}, headers=auth())  # fmt: skip
    assert made.status_code == 201, await made.get_data(as_text=True)
    consumer = await made.get_json()
    assert consumer["groups"] == ["community-api"] and consumer["custom_id"] == "42"
    assert kong.consumers[0]["tags"] == ["waddlebot", "kind:community"]
    assert all(r.headers["Kong-Admin-Token"] == "kong-admin-test-token" for r in kong.requests)
    again = await client.post(f"{API}/consumers", json={"username": "community-42"}, headers=auth())
    assert again.status_code == 409 and (await again.get_json())["error"]["details"]["fields"] == {
        "username": "community-42"
    }

    issued = await client.post(
        f"{API}/consumers/community-42/keys", json={"label": "bot stats"}, headers=auth()
    )
    assert issued.status_code == 201
    key = await issued.get_json()
    assert key["key"].startswith(f"wbk_{key['id']}.") and key["prefix"] == f"wbk_{key['id']}"
    assert kong.keys() == [key["key"]]  # Kong can match it; we keep only its HMAC
    listed = await (await client.get(f"{API}/consumers/{consumer['id']}/keys", headers=auth())).get_json()
    assert [k["id"] for k in listed["items"]] == [key["id"]] and "key" not in listed["items"][0]
    verified = await client.post(f"{API}/keys/verify", json={"key": key["key"]}, headers=auth())
    assert (await verified.get_json())["valid"] is True
    forged = key["key"][:-3] + "xyz"
    assert (await (await client.post(f"{API}/keys/verify", json={"key": forged}, headers=auth())).get_json())[
        "valid"
    ] is False

    grouped = await client.put(f"{API}/consumers/community-42/groups/operators", headers=auth())
    assert (await grouped.get_json())["groups"] == ["community-api", "operators"]
    ungrouped = await client.delete(f"{API}/consumers/community-42/groups/community-api", headers=auth())
    assert (await ungrouped.get_json())["groups"] == ["operators"]
    assert (
        await client.delete(f"{API}/consumers/community-42/groups/nope", headers=auth())
    ).status_code == 404

    revoked = await client.delete(f"{API}/consumers/community-42/keys/{key['id']}", headers=auth())
    assert revoked.status_code == 204 and kong.keys() == []
    assert (
        await (await client.post(f"{API}/keys/verify", json={"key": key["key"]}, headers=auth())).get_json()
    )["valid"] is False
    assert (await client.delete(f"{API}/consumers/community-42", headers=auth())).status_code == 204
    assert kong.consumers == []
    assert (await client.get(f"{API}/consumers/community-42", headers=auth())).status_code == 404

    trail = (await (await client.get(f"{API}/audit", headers=auth())).get_json())["items"]
    assert [(e["action"], e["resource"]) for e in reversed(trail)] == [
        ("create", "consumer"),
        ("create", "key"),
        ("add", "acl"),
        ("remove", "acl"),
        ("revoke", "key"),
        ("delete", "consumer"),
    ]
    assert {(e["service"], e["actor"]) for e in trail} == {("portal", "user:7")}
    assert "key" not in trail[-2]["after"] and key["key"] not in str(trail)  # the key is never kept


async def test_consumers_page_through_kongs_offsets(client: Any, kong: Any) -> None:
    for n in range(5):
        made = await client.post(
            f"{API}/consumers", json={"username": f"op-{n}", "kind": "operator"}, headers=auth()
        )
        assert made.status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await (await client.get(f"{API}/consumers", query_string=query, headers=auth())).get_json()
        seen += [c["username"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"op-{n}" for n in range(5)] and pages == 3
    assert [r.query.get("size") for r in kong.calls("/consumers", method="GET")] == ["2", "2", "2"]


async def test_the_api_needs_a_service_token(client: Any) -> None:
    assert (await client.get(f"{API}/consumers")).status_code == 401


async def test_without_kong_it_is_disabled_and_answers_503(make_settings: Any, backend: Any) -> None:
    from flask_core.testing import started

    app = create_app(make_settings(GatewayAdminSettings, **backend))
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        client = app.test_client()
        answer = await client.get(f"{API}/consumers", headers=auth())
        assert answer.status_code == 503
        assert (await answer.get_json())["error"]["details"] == {
            "status": "disabled",
            "missing": ["KONG_ADMIN_URL"],
        }
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert (await ready.get_json())["checks"]["kong"] == {
            "ok": False,
            "detail": "disabled: KONG_ADMIN_URL is not set",
            "required": False,
        }


async def test_kong_refusing_the_admin_token_is_a_dependency_failure(
    make_settings: Any, backend: Any, kong: Any
) -> None:
    from flask_core.testing import started

    app = create_app(
        make_settings(GatewayAdminSettings, kong_admin_url=kong.url, kong_admin_token="wrong", **backend)
    )
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        answer = await app.test_client().get(f"{API}/consumers", headers=auth())
        assert answer.status_code == 503
