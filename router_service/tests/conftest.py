from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from quart import Quart

from flask_core.app import create_app
from flask_core.events import Manifest, ManifestCommand
from flask_core.module import Accepted, ModuleSpec, chat, module_blueprint
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings


def event(
    text: str,
    *,
    user: str = "alice",
    roles: list[str] | None = None,
    platform: str = "twitch",
    server: str = "chan1",
    type_: str = "chat_message",
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "event_id": event_id or f"{platform}:{uuid.uuid4()}",
        "platform": platform,
        "server_id": server,
        "channel_id": server,
        "user": {
            "platform_user_id": f"id-{user}",
            "username": user,
            "display_name": user.title(),
            "roles": roles or [],
        },
        "type": type_,
        "text": text,
        "reply": {"kind": "inline"},
        **extra,
    }


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    return event


@pytest.fixture
def router_settings(make_settings: Any, backend: dict[str, Any], free_port: int) -> RouterSettings:
    return make_settings(
        RouterSettings,
        port=free_port,
        router_module_timeout=1.0,
        router_manifest_interval=0.5,
        default_modules=["memories", "shoutout"],
        **backend,
    )


def fake_module(settings: Any, prefix: str, **behaviour: Any) -> Quart:
    """A module with `ping` (answers), `slow` (sleeps), `late` (202) and `boom` (500)."""
    calls: list[dict[str, Any]] = []

    async def ping(res: Any, req: Any) -> list[dict[str, Any]]:
        calls.append(req.model_dump(mode="json"))
        return chat(f"pong {req.args_text}".strip())

    in_flight = {"now": 0, "max": 0}

    async def slow(res: Any, req: Any) -> list[dict[str, Any]]:
        in_flight["now"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["now"])
        try:
            await asyncio.sleep(behaviour.get("delay", 3.0))
        finally:
            in_flight["now"] -= 1
        return chat("done slowly")

    async def late(res: Any, req: Any) -> list[dict[str, Any]]:
        calls.append(req.model_dump(mode="json"))
        raise Accepted()

    async def boom(res: Any, req: Any) -> list[dict[str, Any]]:
        raise RuntimeError("module bug")

    async def on_raid(res: Any, ev: Any, community_id: str) -> list[dict[str, Any]]:
        calls.append({"raid": ev.event_id, "community_id": community_id})
        return chat(f"Welcome raiders from {ev.metadata.get('from', '?')}!")

    manifest = Manifest(
        name=prefix,
        commands=[
            ManifestCommand(path=f"{prefix}_ping", description="answers pong", usage=f"!{prefix}_ping"),
            ManifestCommand(path=f"{prefix}_slow"),
            ManifestCommand(path=f"{prefix}_late"),
            ManifestCommand(path=f"{prefix}_boom"),
            ManifestCommand(path=f"{prefix}_mod", role="moderator"),
            ManifestCommand(path=f"{prefix}_cd", user_cooldown=30),
            ManifestCommand(path=f"{prefix}_gcd", global_cooldown=30),
        ],
        events=["raid"],
    )
    spec = ModuleSpec(
        manifest,
        {
            f"{prefix}_ping": ping,
            f"{prefix}_slow": slow,
            f"{prefix}_late": late,
            f"{prefix}_boom": boom,
            f"{prefix}_mod": ping,
            f"{prefix}_cd": ping,
            f"{prefix}_gcd": ping,
        },
        {"raid": on_raid},
    )
    app = create_app(prefix, settings, [module_blueprint(spec)], prefix)
    app.extensions["test.calls"] = calls
    app.extensions["test.in_flight"] = in_flight
    hits: dict[str, int] = {}
    app.extensions["test.hits"] = hits

    @app.before_request
    async def count() -> None:
        from quart import request

        hits[request.path] = hits.get(request.path, 0) + 1

    return app


@pytest.fixture
def module_factory() -> Callable[..., Quart]:
    return fake_module


@pytest.fixture
def router_factory() -> Callable[..., Quart]:
    return create_router
