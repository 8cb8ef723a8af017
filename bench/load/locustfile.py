"""Locust users for `make load`: Twitch sending signed EventSub chat notifications.

Each user is one Twitch-style sender: it posts a `channel.chat.message` notification with
`!quote` to `/twitch/webhooks/eventsub`, signed with the fleet's EventSub secret, at a
constant rate (LOAD_USER_RATE per second), and sends a notification again with the same
message id when the webhook was not answered 2xx, as Twitch does. The message ids the
fleet acknowledged are written to LOAD_IDS_FILE when the test stops; the orchestrator
(`python -m bench.load`) counts the replies at its fake Helix against them.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import gevent
from locust import HttpUser, constant_throughput, events, task
from locust.env import Environment

from bench.settings import LocustSettings
from waddlebot_twitch.eventsub import signed_headers

SETTINGS = LocustSettings()  # type: ignore[call-arg]  # required names come from the environment
SECRET = SETTINGS.eventsub_secret
CHANNELS = SETTINGS.channels or ["1001"]
RATE = SETTINGS.user_rate
SECONDS = SETTINGS.run_seconds
RETRIES = 5
ACKED: list[str] = []
SENT: list[str] = []


def notification(message_id: str, channel: str, user: int) -> dict[str, Any]:
    return {
        "subscription": {
            "id": str(uuid.uuid4()), "type": "channel.chat.message", "version": "1", "status": "enabled",
            "cost": 0, "condition": {"broadcaster_user_id": channel, "user_id": "999000"},
            "transport": {"method": "webhook", "callback": "https://bot.example.com/twitch/webhooks/eventsub"},
            "created_at": "2026-12-01T00:00:00Z",
        },
        "event": {
            "broadcaster_user_id": channel, "broadcaster_user_login": f"chan{channel}",
            "broadcaster_user_name": f"Chan{channel}", "chatter_user_id": str(100000 + user),
            "chatter_user_login": f"viewer{user}", "chatter_user_name": f"Viewer{user}",
            "message_id": message_id, "message": {"text": "!quote", "fragments": []},
            "color": "", "badges": [], "message_type": "text", "cheer": None, "reply": None,
            "channel_points_custom_reward_id": None,
        },
    }  # fmt: skip


class Twitch(HttpUser):
    wait_time = constant_throughput(RATE)

    def on_start(self) -> None:
        self.number = int(uuid.uuid4().int % 1_000_000)

    @task
    def chat(self) -> None:
        message_id = str(uuid.uuid4())
        channel = CHANNELS[self.number % len(CHANNELS)]
        body = json.dumps(notification(message_id, channel, self.number)).encode()
        SENT.append(message_id)
        delivery = str(uuid.uuid4())  # Twitch keeps the message id header across retries
        for _ in range(RETRIES):
            headers = signed_headers(
                SECRET, delivery, datetime.now(UTC).isoformat().replace("+00:00", "Z"), body,
                message_type="notification", subscription_type="channel.chat.message",
                subscription_version="1",
            )  # fmt: skip
            headers["Content-Type"] = "application/json"
            with self.client.post(
                "/twitch/webhooks/eventsub", data=body, headers=headers, name="webhook", catch_response=True
            ) as answer:
                if 200 <= answer.status_code < 300:
                    answer.success()
                    ACKED.append(message_id)
                    return
                answer.failure(f"status {answer.status_code}")


@events.test_start.add_listener
def _stop_in_time(environment: Environment, **_: Any) -> None:
    """The run's time limit, counted from the start of the load. (Locust's own `-t` counts
    from a clock gevent cached before the imports, so a slow start-up ended runs at once.)"""
    gevent.get_hub().loop.update_now()
    runner = environment.runner
    if runner is not None:
        gevent.spawn_later(SECONDS, runner.quit)


@events.test_stop.add_listener
def _write_ids(**_: Any) -> None:
    with open(SETTINGS.ids_file, "w", encoding="utf-8") as f:
        json.dump({"sent": SENT, "acked": ACKED}, f)
