"""Who is asking, for a batch: one identity call for its new users, none once they are known.

Against the real identity service in one process (`waddlebot run`'s shape): the router
must hand every command its asker's internal user, and a batch of chatters costs one
`resolve:batch` call, not one resolve per event (issue 19's profile: the per-event calls
were 38 % of a batch's time and, under load, all failed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from quart import request

from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_community.app import create_app as create_community
from waddlebot_community.settings import CommunitySettings
from waddlebot_identity.app import create_app as create_identity
from waddlebot_identity.settings import IdentitySettings
from waddlebot_marketplace.app import create_app as create_marketplace
from waddlebot_marketplace.settings import MarketplaceSettings
from waddlebot_router.settings import RouterSettings


@asynccontextmanager
async def identity_fleet(
    make_settings: Any, free_port: int, data_dir: Any, module_factory: Any, router_factory: Any
) -> AsyncIterator[tuple[Fleet, list[str]]]:
    common = {"port": free_port, "database_url": f"sqlite://{(data_dir / 'ids.sqlite').resolve()}"}
    router = make_settings(
        RouterSettings, default_modules=["shoutout"], router_manifest_interval=0.3,
        router_user_rate_limit="1000/30s", router_community_rate_limit="1000/30s", **common,
    )  # fmt: skip
    identity = create_identity(make_settings(IdentitySettings, **common))
    asked: list[str] = []

    @identity.before_request
    async def _count() -> None:
        if "/resolve" in request.path:
            asked.append(request.path)

    apps = {
        "router": router_factory(router),
        "community": create_community(make_settings(CommunitySettings, **common)),
        "marketplace": create_marketplace(
            make_settings(MarketplaceSettings, marketplace_manifest_interval=0.3, **common)
        ),
        "identity": identity,
        "shoutout": module_factory(router, "shoutout"),
    }
    async with run_fleet(router, apps) as fleet:
        yield fleet, asked


async def test_a_batch_asks_identity_once_and_every_command_gets_its_user(
    make_settings: Any,
    free_port: int,
    data_dir: Any,
    module_factory: Any,
    router_factory: Any,
    make_event: Any,
) -> None:
    async with identity_fleet(make_settings, free_port, data_dir, module_factory, router_factory) as (
        fleet,
        asked,
    ):
        first = await fleet.post(make_event("!shoutout_ping hi"))  # provisions the community
        assert first.json()["status"] == "processed"
        asked.clear()
        users = [f"chatter{i}" for i in range(30)]
        events = [make_event(f"!shoutout_ping {u}", user=u) for u in users for _ in range(2)]  # 2 each
        answer = await fleet.batch(events)
        assert [r["status"] for r in answer.json()["results"]] == ["processed"] * 60
        assert asked == ["/identity/api/v1/resolve:batch"]  # one call for the 30 new users

        again = await fleet.batch([make_event(f"!shoutout_ping {u}", user=u) for u in users])
        assert [r["status"] for r in again.json()["results"]] == ["processed"] * 30
        assert asked == ["/identity/api/v1/resolve:batch"]  # known now: answered from the cache

        calls = [c for c in fleet.dispatcher.apps["shoutout"].extensions["test.calls"] if "args_text" in c]
        by_user: dict[str, set[str]] = {}
        for call in calls[1:]:
            assert call["identity"] is not None, call["args_text"]
            by_user.setdefault(call["event"]["user"]["username"], set()).add(call["identity"]["user_id"])
        assert sorted(by_user) == sorted(users)
        assert all(len(ids) == 1 for ids in by_user.values())  # one internal user per chatter
        assert len({next(iter(ids)) for ids in by_user.values()}) == 30  # and a different one each
