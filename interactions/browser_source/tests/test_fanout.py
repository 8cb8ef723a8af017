"""A raid from a signed Twitch webhook to the alerts overlay, and fan-out across replicas."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from flask_core.testing import free_tcp_port, release_tcp_port
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.eventsub import signed_headers
from waddlebot_twitch.settings import TwitchSettings

from .conftest import event

SECRET = "eventsub-test-secret-0123456789"
RAID = Path(__file__).parent / "fixtures" / "channel.raid.json"


def signed_raid(login: str, name: str, viewers: int) -> tuple[bytes, dict[str, str]]:
    """`channel.raid` as Twitch sends it (recorded shape), signed with the webhook secret."""
    payload = json.loads(RAID.read_text())
    payload["event"].update(
        from_broadcaster_user_login=login, from_broadcaster_user_name=name, viewers=viewers
    )
    body = json.dumps(payload).encode()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
    headers = signed_headers(SECRET, str(uuid.uuid4()), stamp, body, message_type="notification",
                             subscription_type="channel.raid", subscription_version="1")  # fmt: skip
    return body, headers


async def test_a_signed_raid_reaches_the_alerts_overlay_within_a_second(
    overlay_fleet: Any, make_settings: Any, backend: dict[str, Any], fake_http: Any
) -> None:
    def twitch(common: dict[str, Any]) -> Any:
        settings = make_settings(
            TwitchSettings, twitch_eventsub_secret=SECRET, twitch_client_id="id", twitch_client_secret="secret",
            twitch_bot_user_id="999", twitch_api_url=f"{fake_http.url}/helix",
            twitch_auth_url=f"{fake_http.url}/oauth2", outbox_poll_interval=0.02, **common,
        )  # fmt: skip
        return create_twitch(settings)

    async with overlay_fleet(extra={"twitch": twitch}) as o, httpx.AsyncClient(base_url=o.url) as http:
        token = await o.token()  # provisions community 1337 too
        async with o.socket(token) as ws:
            await ws.until_ready()
            body, headers = signed_raid("cool_user", "Cool_User", 9001)
            started = time.monotonic()
            answer = await http.post("/twitch/webhooks/eventsub", content=body, headers=headers)
            assert answer.status_code == 204
            item = await ws.next_item(within=1.0)
            elapsed = time.monotonic() - started
            assert elapsed < 1.0, elapsed
            assert item["payload"] == {
                "kind": "raid",
                "user": "Cool_User",
                "login": "cool_user",
                "viewers": 9001,
            }
            # A forged signature never reaches the overlay.
            forged = {**headers, "Twitch-Eventsub-Message-Signature": "sha256=" + "0" * 64,
                      "Twitch-Eventsub-Message-Id": str(uuid.uuid4())}  # fmt: skip
            assert (
                await http.post("/twitch/webhooks/eventsub", content=body, headers=forged)
            ).status_code == 403


async def test_two_replicas_sharing_redis_both_deliver(overlay_fleet: Any, backend: dict[str, Any]) -> None:
    if "redis_url" not in backend:
        pytest.skip("replicas share Redis: the fleet backend")
    port = free_tcp_port()
    try:
        async with overlay_fleet() as one, overlay_fleet(port=port) as two:
            token = await one.token()
            async with one.socket(token) as a, two.socket(token, url=two.url) as b:
                await a.until_ready()
                await b.until_ready()
                await one.fleet.post(event(type_="subscription", user="subby", roles=[], tier="1000"))
                assert (await a.next_item(within=1.0))["payload"]["login"] == "subby"
                assert (await b.next_item(within=1.0))["payload"]["login"] == "subby"
                await two.fleet.post(event(type_="gift_subscription", user="giver", roles=[], total=5))
                assert (await a.next_item(within=1.0))["payload"] == (await b.next_item(within=1.0))[
                    "payload"
                ]
            async with two.socket(token, url=two.url) as late:  # the replay list is shared too
                assert [r["payload"]["kind"] for r in await late.until_ready()] == ["subscription", "gift"]
    finally:
        release_tcp_port(port)
