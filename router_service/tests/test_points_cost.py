"""A command's points cost (§12: … → cost → run), against the real identity and reputation.

Debited once per invocation, also when the same event is processed again; refunded when
the module fails; refused, never run, when the balance is short or points are down.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from flask_core.testing import service_headers
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_community.app import create_app as create_community
from waddlebot_community.settings import CommunitySettings
from waddlebot_identity.app import create_app as create_identity
from waddlebot_identity.settings import IdentitySettings
from waddlebot_marketplace.app import create_app as create_marketplace
from waddlebot_marketplace.settings import MarketplaceSettings
from waddlebot_reputation.app import create_app as create_reputation
from waddlebot_reputation.settings import ReputationSettings
from waddlebot_router.settings import RouterSettings

BROADCASTER = ["broadcaster"]


@asynccontextmanager
async def points_fleet(
    make_settings: Any,
    free_port: int,
    data_dir: Any,
    module_factory: Any,
    router_factory: Any,
    *,
    reputation: bool = True,
) -> AsyncIterator[Fleet]:
    common = {"port": free_port, "database_url": f"sqlite://{(data_dir / 'points.sqlite').resolve()}"}
    router = make_settings(
        RouterSettings, default_modules=["shoutout"], router_module_timeout=1.0, router_manifest_interval=0.3,
        router_user_rate_limit="1000/30s", **common,
    )  # fmt: skip
    apps = {
        "router": router_factory(router),
        "community": create_community(make_settings(CommunitySettings, **common)),
        "marketplace": create_marketplace(
            make_settings(MarketplaceSettings, marketplace_manifest_interval=0.3, **common)
        ),
        "identity": create_identity(make_settings(IdentitySettings, **common)),
        "shoutout": module_factory(router, "shoutout"),
    }
    if reputation:
        apps["reputation"] = create_reputation(make_settings(ReputationSettings, **common))
    async with run_fleet(router, apps) as fleet:
        yield fleet


async def say(fleet: Fleet, make_event: Any, text: str, **kwargs: Any) -> dict[str, Any]:
    answer = await fleet.post(make_event(text, **kwargs))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def texts(body: dict[str, Any]) -> list[str]:
    return [r["text"] for r in body["responses"]]


async def set_cost(fleet: Fleet, community_id: int, path: str, cost: int) -> None:
    answer = await fleet.http.patch(
        f"/marketplace/api/v1/communities/{community_id}/commands/{path}",
        json={"cost": cost},
        headers=service_headers("marketplace", issuer="cli"),
    )
    assert answer.status_code == 200, answer.text


async def test_a_cost_is_debited_once_refunded_on_failure_and_refused_when_short(
    make_settings: Any,
    free_port: int,
    data_dir: Any,
    module_factory: Any,
    router_factory: Any,
    make_event: Any,
) -> None:
    async with points_fleet(make_settings, free_port, data_dir, module_factory, router_factory) as fleet:
        assert texts(await say(fleet, make_event, "!shoutout_ping hi")) == [
            "pong hi"
        ]  # provisions; amy is known
        await set_cost(fleet, 1, "shoutout_ping", 5)
        await set_cost(fleet, 1, "shoutout_boom", 5)

        short = await say(fleet, make_event, "!shoutout_ping")
        assert short["status"] == "rejected"
        assert texts(short) == ["@alice, !shoutout_ping costs 5 points; you have 0."]
        given = await say(fleet, make_event, "!points add @alice 12", user="streamer", roles=BROADCASTER)
        assert "12 points" in texts(given)[0]

        paid = make_event("!shoutout_ping paid", event_id=f"twitch:{uuid.uuid4()}")
        assert texts((await fleet.post(paid)).json()) == ["pong paid"]
        assert (await fleet.post(paid)).json()["status"] == "duplicate"
        # Processed again after a failure released its claim: same invocation, same charge.
        router = fleet.dispatcher.apps["router"].extensions["router.service"]
        await router.claims.release(paid["event_id"])
        assert texts((await fleet.post(paid)).json()) == ["pong paid"]
        assert texts(await say(fleet, make_event, "!points")) == ["Alice has 7 points."]

        failed = await say(fleet, make_event, "!shoutout_boom")
        assert texts(failed) == ["Sorry, shoutout is unavailable right now. Try again later."]
        assert texts(await say(fleet, make_event, "!points")) == ["Alice has 7 points."]  # refunded

        await say(fleet, make_event, "!points add @alice 10", user="streamer", roles=BROADCASTER)
        batch = await fleet.batch([make_event("!shoutout_ping b1"), make_event("!shoutout_boom")])
        assert [r["status"] for r in batch.json()["results"]] == ["processed", "processed"]
        assert texts(await say(fleet, make_event, "!points")) == [
            "Alice has 12 points."
        ]  # one paid, one refunded
        await set_cost(fleet, 1, "shoutout_ping", 50)
        refused = await say(fleet, make_event, "!shoutout_ping")
        assert texts(refused) == ["@alice, !shoutout_ping costs 50 points; you have 12."]
        pings = [c for c in fleet.dispatcher.apps["shoutout"].extensions["test.calls"] if "args_text" in c]
        assert [c["args_text"] for c in pings] == ["hi", "paid", "b1"]  # never run unpaid
        assert all(c["identity"] is not None and c["identity"]["user_id"] for c in pings)


async def test_a_cost_without_reputation_is_refused_never_run_free(
    make_settings: Any,
    free_port: int,
    data_dir: Any,
    module_factory: Any,
    router_factory: Any,
    make_event: Any,
) -> None:
    async with points_fleet(
        make_settings, free_port, data_dir, module_factory, router_factory, reputation=False
    ) as fleet:
        assert texts(await say(fleet, make_event, "!shoutout_ping")) == ["pong"]
        await set_cost(fleet, 1, "shoutout_ping", 1)
        refused = await say(fleet, make_event, "!shoutout_ping again")
        assert refused["status"] == "rejected"
        assert texts(refused) == [
            "@alice, !shoutout_ping costs 1 points, and points are unavailable right now."
        ]
        calls = fleet.dispatcher.apps["shoutout"].extensions["test.calls"]
        assert [c["args_text"] for c in calls] == [""]
        assert calls[0]["identity"]["linked"] is False  # identity answers; reputation is not here

        # The community's own prefix (the community service's setting) reads as `!`.
        headers = service_headers("community", issuer="portal")
        prefix = {"settings": {"command_prefix": "?"}}
        assert (
            await fleet.http.patch("/community/api/v1/communities/1", json=prefix, headers=headers)
        ).is_success
        assert texts(await say(fleet, make_event, "?shoutout_mod x", roles=["moderator"])) == ["pong x"]
        # The router's first-wave routes refuse a community that does not exist.
        router = service_headers("router")
        off = await fleet.http.put(
            "/router/api/v1/communities/9/modules/shoutout", json={"enabled": False}, headers=router
        )
        assert off.status_code == 404
        patched = await fleet.http.patch(
            "/router/api/v1/communities/9/commands/shoutout_ping", json={"cost": 1}, headers=router
        )
        assert patched.status_code == 404
