"""Private answers (§12): deliveries and sessions carry the asking user; a `dm` shows only
in an `inline` answer, never in the HTTP answer of a platform event."""

from __future__ import annotations

from typing import Any

import pytest
from quart import Blueprint, Quart, request

from flask_core.app import create_app
from flask_core.auth import require_service
from flask_core.events import Manifest, ManifestCommand
from flask_core.module import Accepted, ModuleSpec, module_blueprint
from flask_core.testing import service_headers
from waddlebot_cli.testing import run_fleet

pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)
CODE = {"type": "dm", "text": "Your code is 4242."}


def collector(settings: Any) -> Quart:
    bp = Blueprint("collector", __name__)
    received: list[dict[str, Any]] = []

    @bp.post("/api/v1/messages")
    @require_service
    async def messages() -> Any:
        received.append(await request.get_json())
        return {"queued": 1, "duplicates": 0, "skipped": 0}, 202

    app = create_app("twitch", settings, [bp], "twitch")
    app.extensions["test.received"] = received
    return app


def secret_module(settings: Any) -> Quart:
    async def code(res: Any, req: Any) -> list[dict[str, Any]]:
        return [CODE, {"type": "chat", "text": "Sent you a whisper."}]

    async def later(res: Any, req: Any) -> list[dict[str, Any]]:
        raise Accepted()

    manifest = Manifest(
        name="shoutout", commands=[ManifestCommand(path="code"), ManifestCommand(path="later")]
    )
    spec = ModuleSpec(manifest, {"code": code, "later": later})
    return create_app("shoutout", settings, [module_blueprint(spec)], "shoutout")


async def test_a_dm_is_delivered_to_the_asker_and_left_out_of_platform_answers(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    twitch = collector(router_settings)
    apps = {"router": router_factory(router_settings), "shoutout": secret_module(router_settings),
            "twitch": twitch}  # fmt: skip
    async with run_fleet(router_settings, apps) as fleet:
        on_twitch = make_event("!code", user="amy") | {"reply": {"kind": "chat", "message_id": "m-1"}}
        answered = (await fleet.post(on_twitch)).json()
        inline = (await fleet.post(make_event("!code", user="bob"))).json()
        [batched] = (
            await fleet.batch([make_event("!code", user="cy") | {"reply": {"kind": "chat"}}])
        ).json()["results"]
        pending = (await fleet.post(make_event("!later", user="dee") | {"reply": {"kind": "chat"}})).json()
        late = {"invocation_id": pending["invocation_id"], "responses": [CODE]}
        headers = service_headers("router", issuer="shoutout")
        assert (
            await fleet.http.post("/router/api/v1/responses", json=late, headers=headers)
        ).status_code == 202
        shown = await fleet.http.get(f"/router/api/v1/responses/{pending['invocation_id']}", headers=headers)
    assert answered["responses"] == [{"type": "chat", "text": "Sent you a whisper."}]
    assert answered["private"] == 1
    assert (
        batched["responses"] == [{"type": "chat", "text": "Sent you a whisper."}] and batched["private"] == 1
    )
    assert inline["responses"][0] == CODE and "private" not in inline  # CLI, simulator, tests
    received = twitch.extensions["test.received"]
    assert len(received) == 3  # amy's, cy's and dee's late answer; inline is never delivered
    assert received[0]["user"] == {"platform_user_id": "id-amy", "username": "amy"}
    assert received[0]["responses"][0] == CODE
    assert received[1]["user"] == {"platform_user_id": "id-cy", "username": "cy"}
    assert received[2]["user"] == {"platform_user_id": "id-dee", "username": "dee"}  # from the session
    assert received[2]["responses"] == [CODE]
    assert shown.json()["responses"] == []  # not inline: the stored late dm is not shown either
