"""An external module registered by URL answers chat through the router, which signs its
calls with the module's own secret (never INTERNAL_JWT_SECRET, §12)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiohttp import web

from flask_core.auth import verify_service_token
from flask_core.errors import Unauthorized
from flask_core.testing import TEST_SECRET, FakeHttpServer, Recorded, service_headers, wait_until
from waddlebot_cli.testing import run_fleet
from waddlebot_community.app import create_app as create_community
from waddlebot_community.settings import CommunitySettings
from waddlebot_marketplace.app import create_app as create_marketplace
from waddlebot_marketplace.settings import MarketplaceSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

MANIFEST = {"name": "trivia", "description": "Trivia", "commands": [{"path": "trivia", "usage": "!trivia"}]}


def event(text: str) -> dict[str, Any]:
    return {
        "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": "chan1", "channel_id": "chan1",
        "user": {"platform_user_id": "u1", "username": "amy"}, "text": text, "reply": {"kind": "inline"},
    }  # fmt: skip


async def test_an_external_module_answers_with_calls_signed_by_its_own_secret(
    make_settings: Any, data_dir: Any, free_port: int, fake_http: FakeHttpServer
) -> None:
    tokens: list[str] = []

    async def manifest(call: Recorded) -> web.Response:
        return web.json_response(MANIFEST)

    async def trivia(call: Recorded) -> web.Response:
        tokens.append(call.headers.get("Authorization", "").removeprefix("Bearer "))
        return web.json_response(
            {"responses": [{"type": "chat", "text": f"42, {call.json['event']['user']['username']}"}]}
        )

    fake_http.route("GET", "/trivia/api/v1/manifest", manifest)
    fake_http.route("POST", "/trivia/api/v1/commands/trivia", trivia)
    common = {
        "port": free_port,
        "database_url": f"sqlite://{(data_dir / 'x.sqlite').resolve()}",
        "default_modules": [],
    }
    router = make_settings(RouterSettings, router_manifest_interval=0.2, **common)
    apps = {
        "router": create_router(router),
        "community": create_community(make_settings(CommunitySettings, **common)),
        "marketplace": create_marketplace(make_settings(MarketplaceSettings, **common)),
    }
    async with run_fleet(router, apps) as fleet:
        assert (await fleet.post(event("!trivia"))).json()["status"] == "ignored"  # provisions; not installed
        headers = service_headers("marketplace", issuer="portal")
        registered = await fleet.http.post(
            "/marketplace/api/v1/modules", json={"name": "trivia", "url": fake_http.url}, headers=headers
        )
        assert registered.status_code == 201, registered.text
        secret = registered.json()["secret"]
        installed = await fleet.http.put(
            "/marketplace/api/v1/communities/1/modules/trivia", json={}, headers=headers
        )
        assert installed.status_code == 200
        router_app = fleet.dispatcher.apps["router"]
        await wait_until(lambda: "trivia" in router_app.extensions["router.service"].registry.manifests)
        answer = (await fleet.post(event("!trivia"))).json()
        assert answer["status"] == "processed" and answer["responses"][0]["text"] == "42, amy"
        [token] = tokens
        assert verify_service_token(token, secret, "trivia")["iss"] == "router"
        with pytest.raises(Unauthorized):
            verify_service_token(token, TEST_SECRET, "trivia")
        denied = await fleet.http.get("/marketplace/api/v1/externals", headers=headers)
        assert denied.status_code == 403  # the secrets are the router's only
