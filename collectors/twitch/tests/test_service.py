"""Normalising recorded EventSub payloads (no HTTP, no storage) and verifying signatures."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flask_core.errors import Forbidden
from waddlebot_twitch.eventsub import EventSubHeaders, check_timestamp, sign, verify_signature
from waddlebot_twitch.normalise import Notification, normalise, roles_from_badges
from waddlebot_twitch.subscriptions import wanted_for

FIXTURES = Path(__file__).parent / "fixtures"
WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def notification(name: str, **changes: Any) -> Notification:
    payload = json.loads((FIXTURES / f"{name}.json").read_text())
    payload["event"].update(changes)
    return Notification("msg-42", WHEN, payload["subscription"]["type"], payload["event"])


@pytest.mark.parametrize(
    ("name", "kind", "server_id", "user_id", "metadata"),
    [
        ("channel.follow", "follow", "1337", "1234", {"followed_at": "2020-07-15T18:16:11.17106713Z"}),
        ("channel.subscribe", "subscription", "1337", "1234", {"tier": "1000", "is_gift": False}),
        ("channel.subscription.gift", "gift_subscription", "1337", "1234",
         {"tier": "1000", "total": 2, "cumulative_total": 284, "is_anonymous": False}),
        ("channel.cheer", "cheer", "1337", "1234", {"bits": 1000, "is_anonymous": False}),
        ("channel.raid", "raid", "1337", "1234", {"viewers": 9001, "from_broadcaster_login": "cool_user"}),
        ("stream.online", "stream_online", "1337", "1337",
         {"stream_id": "9001", "stream_type": "live", "started_at": "2020-10-11T10:11:12.123Z"}),
        ("stream.offline", "stream_offline", "1337", "1337", {}),
    ],
    ids=lambda v: v if isinstance(v, str) and "." in v else None,
)  # fmt: skip
def test_platform_events_are_normalised(
    name: str, kind: str, server_id: str, user_id: str, metadata: dict[str, Any]
) -> None:
    event = normalise(notification(name))
    assert event is not None
    assert event.event_id == "twitch:msg-42"  # the message id header
    assert event.type == kind
    assert event.server_id == event.channel_id == server_id
    assert event.user.platform_user_id == user_id
    assert event.metadata == metadata
    assert event.reply.kind == "chat"
    assert event.reply.message_id is None
    assert event.occurred_at == WHEN


def test_a_cheer_keeps_its_message_and_anonymous_gifts_have_no_user() -> None:
    cheer = normalise(notification("channel.cheer"))
    assert cheer is not None and cheer.text == "pogchamp"
    gift = normalise(
        notification("channel.subscription.gift", is_anonymous=True, user_id=None, user_login=None)
    )
    assert gift is not None
    assert gift.user.platform_user_id == "anonymous"
    assert gift.metadata["is_anonymous"] is True


def test_chat_uses_the_chat_message_id_and_threads_the_reply() -> None:
    event = normalise(notification("channel.chat.message"))
    assert event is not None
    assert event.event_id == "twitch:cc106a89-1814-919d-454c-f4f2f970aae7"
    assert event.reply.message_id == "cc106a89-1814-919d-454c-f4f2f970aae7"
    assert event.user.username == "viewer32"
    assert event.metadata == {"message_type": "text", "broadcaster_name": "streamer", "emotes": 0}


@pytest.mark.parametrize(
    ("badges", "roles"),
    [
        (["broadcaster", "subscriber"], ["broadcaster", "subscriber"]),
        (["moderator"], ["moderator"]),
        (["lead_moderator"], ["moderator"]),
        (["vip"], ["vip"]),
        (["founder", "subscriber"], ["subscriber"]),
        (["admin", "staff", "global_mod", "partner"], []),
        ([], []),
    ],
    ids=["broadcaster", "moderator", "lead_moderator", "vip", "founder", "staff", "none"],
)
def test_badges_map_to_roles(badges: list[str], roles: list[str]) -> None:
    assert roles_from_badges([{"set_id": b, "id": "1", "info": ""} for b in badges]) == roles


def test_shared_chat_from_another_channel_is_left_to_that_channel() -> None:
    assert normalise(notification("channel.chat.message", source_broadcaster_user_id="999")) is None
    same = notification("channel.chat.message", source_broadcaster_user_id="1971641")
    assert normalise(same) is not None


def test_unknown_subscription_types_map_to_nothing() -> None:
    assert normalise(Notification("m", WHEN, "channel.ban", {"user_id": "1"})) is None


def test_signature_covers_id_timestamp_and_raw_body() -> None:
    body = b'{"a": 1}'
    signature = sign("s" * 20, "id-1", "2024-05-01T12:00:00Z", body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    headers = EventSubHeaders("id-1", "notification", signature, "2024-05-01T12:00:00Z", "t", "1", "0")
    verify_signature("s" * 20, headers, body)
    with pytest.raises(Forbidden):
        verify_signature("s" * 20, headers, body + b" ")
    with pytest.raises(Forbidden):
        verify_signature("t" * 20, headers, body)


@pytest.mark.parametrize("stamp", ["yesterday", "2024-05-01T12:00:00"], ids=["garbage", "no-zone"])
def test_unreadable_timestamps_are_refused(stamp: str) -> None:
    with pytest.raises(Forbidden):
        check_timestamp(stamp, 600, now=time.time())


def test_subscriptions_carry_the_conditions_twitch_requires() -> None:
    wanted = {w.type: w for w in wanted_for("1337", "42")}
    assert len(wanted) == 8
    assert wanted["channel.chat.message"].condition == {"broadcaster_user_id": "1337", "user_id": "42"}
    assert wanted["channel.follow"].version == "2"
    assert wanted["channel.follow"].condition == {"broadcaster_user_id": "1337", "moderator_user_id": "42"}
    assert wanted["channel.raid"].condition == {"to_broadcaster_user_id": "1337"}
