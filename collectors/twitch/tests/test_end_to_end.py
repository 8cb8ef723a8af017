"""Twitch end to end through real HTTP: signed webhook → outbox → router → memories →
delivery → the fake Helix, in one process (the cli Dispatcher) and across two servers
with the router down for a while."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from quart import Quart

from flask_core.metrics import REGISTRY
from flask_core.testing import free_tcp_port
from waddlebot_cli.testing import run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.normalise import Notification, normalise
from waddlebot_twitch.runtime import RUNTIME_KEY, TwitchRuntime
from waddlebot_twitch.settings import TwitchSettings

BROADCASTER = "1971641"  # the recorded chat fixture's channel
WEBHOOK = "/twitch/webhooks/eventsub"


def memories_app(make_settings: Callable[..., Any], **values: Any) -> Quart:
    return create_memories(make_settings(MemoriesSettings, **values))


def port() -> int:
    return free_tcp_port()  # reserved until a live server takes its socket over


def chat_from_moderator(text: str) -> Callable[[dict[str, Any]], None]:
    message_id = str(uuid.uuid4())

    def change(payload: dict[str, Any]) -> None:
        payload["event"].update(message_id=message_id, message={"text": text, "fragments": []})

    return change


def router_settings(make_settings: Callable[..., Any], bot_user_id: str, **values: Any) -> RouterSettings:
    settings: RouterSettings = make_settings(
        RouterSettings, default_modules=["memories"], twitch_bot_user_id=bot_user_id,
        router_manifest_interval=0.5, router_user_rate_limit="100/30s", **values,
    )  # fmt: skip
    return settings


def runtime(fleet: Any) -> TwitchRuntime:
    rt: TwitchRuntime = fleet.dispatcher.apps["twitch"].extensions[RUNTIME_KEY]
    return rt


async def test_a_moderators_quote_add_is_answered_once_in_chat(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    fake_twitch: Any, bot_user_id: str, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    here = port()
    common = {"port": here, **backend}
    twitch = twitch_settings(router_url=None, **common)
    apps = {
        "router": create_router(router_settings(make_settings, bot_user_id, **common)),
        "memories": memories_app(make_settings, **common),
        "twitch": create_twitch(twitch),
    }
    async with run_fleet(twitch, apps) as fleet, httpx.AsyncClient(base_url=fleet.url) as http:
        signed = eventsub("channel.chat.message", change=chat_from_moderator("!quote add never give up"))
        answer = await http.post(WEBHOOK, content=signed.body, headers=signed.headers)
        assert answer.status_code == 204
        await eventually(lambda: fake_twitch.messages(BROADCASTER))
        [message] = fake_twitch.messages(BROADCASTER)
        assert message["sender_id"] == bot_user_id
        assert message["message"].startswith("Quote #") and "added" in message["message"]
        assert message["reply_parent_message_id"] == json.loads(signed.body)["event"]["message_id"]

        again = await http.post(WEBHOOK, content=signed.body, headers=signed.headers)  # redelivered
        assert again.status_code == 204
        rt = runtime(fleet)
        await rt.outbox.put(normalised(signed))  # the outbox sends it again (an answer was lost)
        await eventually(lambda: _drained(rt))
        await rt.delivery.join()  # caught up: whatever the router answered has been sent
        assert len(fake_twitch.messages(BROADCASTER)) == 1  # the router said `duplicate`
        assert await rt.outbox.dead_letters() == []


def normalised(signed: Any) -> dict[str, Any]:
    payload = json.loads(signed.body)
    event = normalise(
        Notification(signed.message_id, datetime.now(UTC), "channel.chat.message", payload["event"])
    )
    assert event is not None
    return event.model_dump(mode="json")


async def _drained(rt: TwitchRuntime) -> bool:
    return await rt.outbox.pending() == 0


def outbox_count(outcome: str) -> float:
    labels = {"service": "twitch", "outcome": outcome}
    return REGISTRY.get_sample_value("waddlebot_outbox_entries_total", labels) or 0.0


async def test_router_down_then_up_answers_all_20_events_once(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    fake_twitch: Any, bot_user_id: str, eventsub: Any, eventually: Any, data_dir: Any,
) -> None:  # fmt: skip
    collector_port, router_port = port(), port()
    own_db = (
        {}
        if "redis_url" in backend
        else {"database_url": f"sqlite://{(data_dir / 'router.sqlite').resolve()}"}
    )
    twitch = twitch_settings(port=collector_port, router_url=f"http://127.0.0.1:{router_port}", **backend)
    router_side = {
        "port": router_port,
        "twitch_url": f"http://127.0.0.1:{collector_port}",
        **backend,
        **own_db,
    }
    retried_before = outbox_count("retried")
    async with run_fleet(twitch, {"twitch": create_twitch(twitch)}) as collector:
        assert collector.dispatcher.resources is not None
        collector.dispatcher.resources.http.reset_timeout = 0.2  # the breaker retries soon
        texts = [f"!quote add saying number {n}" for n in range(20)]
        for text in texts:
            signed = eventsub("channel.chat.message", change=chat_from_moderator(text))
            answer = await collector.http.post(WEBHOOK, content=signed.body, headers=signed.headers)
            assert answer.status_code == 204  # accepted while the router is down
        await eventually(lambda: outbox_count("retried") - retried_before >= 20)
        assert await runtime(collector).outbox.pending() == 20
        assert fake_twitch.messages(BROADCASTER) == []
        apps = {
            "router": create_router(router_settings(make_settings, bot_user_id, **router_side)),
            "memories": memories_app(make_settings, **router_side),
        }
        async with run_fleet(make_settings(RouterSettings, **router_side), apps):
            await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) >= 20, within=15)
            await eventually(lambda: _drained(runtime(collector)))
            await runtime(collector).delivery.join()  # caught up: nothing left to send
    answers = [m["message"] for m in fake_twitch.messages(BROADCASTER)]
    assert len(answers) == 20
    assert len(set(answers)) == 20  # twenty different quote numbers: none answered twice
