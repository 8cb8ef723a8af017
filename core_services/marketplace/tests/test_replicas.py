"""A module disabled from chat is off at once on every router replica (two routers sharing
Redis and PostgreSQL, in one test); enabled again, it answers again."""

from __future__ import annotations

import uuid
from typing import Any

from flask_core.testing import free_tcp_port, live_server, release_tcp_port
from waddlebot_cli.dispatcher import Dispatcher
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_community.app import create_app as create_community
from waddlebot_community.settings import CommunitySettings
from waddlebot_marketplace.app import create_app as create_marketplace
from waddlebot_marketplace.settings import MarketplaceSettings
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings


def chat_event(text: str, *, user: str = "alice", roles: list[str] | None = None) -> dict[str, Any]:
    return {
        "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": "chan1", "channel_id": "chan1",
        "user": {"platform_user_id": f"id-{user}", "username": user, "roles": roles or []},
        "text": text, "reply": {"kind": "inline"},
    }  # fmt: skip


async def status(fleet: Fleet, text: str, **kwargs: Any) -> tuple[str, list[str]]:
    answer = await fleet.post(chat_event(text, **kwargs))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["status"], [r["text"] for r in body["responses"]]


async def test_disable_and_enable_from_chat_reach_every_replica_at_once(
    make_settings: Any, postgres_url: str, redis_url: str, free_port: int
) -> None:
    shared = {"database_url": postgres_url, "redis_url": redis_url, "default_modules": ["memories"]}
    first = make_settings(RouterSettings, port=free_port, router_manifest_interval=0.3, **shared)
    apps = {
        "router": create_router(first),
        "community": create_community(make_settings(CommunitySettings, port=free_port, **shared)),
        "marketplace": create_marketplace(
            make_settings(MarketplaceSettings, port=free_port, marketplace_manifest_interval=0.3, **shared)
        ),
        "memories": create_memories(make_settings(MemoriesSettings, port=free_port, **shared)),
    }
    async with run_fleet(first, apps) as a:
        port = free_tcp_port()
        urls = {f"{p}_url": a.url for p in ("community", "marketplace", "memories", "identity", "reputation")}
        second = make_settings(RouterSettings, port=port, router_manifest_interval=0.3, **urls, **shared)
        try:
            async with live_server(
                Dispatcher({"router": create_router(second)}, second, migrate=False), port
            ) as url:
                b = Fleet(url, a.dispatcher)
                try:
                    assert (await status(a, "!quote"))[0] == "processed"  # provisions the community
                    assert (await status(b, "!quote"))[0] == "processed"  # b's cache holds the table now
                    off = await status(b, "!module disable memories", roles=["broadcaster"])
                    assert off == ("processed", ["Module memories disabled."])
                    for replica in (a, b):
                        assert await status(replica, "!quote") == ("ignored", [])
                    assert (await status(a, "!modules"))[1] == [
                        "No modules are enabled here; only !help, !commands and !modules work."
                    ]
                    on = await status(a, "!module enable memories", roles=["broadcaster"])
                    assert on == ("processed", ["Module memories enabled."])
                    for replica in (b, a):
                        assert await status(replica, "!quote") == (
                            "processed", ["No quotes yet. Moderators can add them."]
                        )  # fmt: skip
                    refused = await status(b, "!module disable memories")
                    assert refused[0] == "rejected"  # the broadcaster's only
                finally:
                    await b.http.aclose()
        finally:
            release_tcp_port(port)
