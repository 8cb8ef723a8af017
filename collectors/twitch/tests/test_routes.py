"""The EventSub webhook: every ✔ rule of PLATFORMS.md, accepted and refused, with
real-format payloads signed like Twitch signs them; events reach a recording router."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from flask_core.app import resources
from flask_core.testing import service_headers, started
from waddlebot_twitch.app import create_app
from waddlebot_twitch.eventsub import sign
from waddlebot_twitch.runtime import RUNTIME_KEY, TwitchRuntime
from waddlebot_twitch.settings import TwitchSettings

CHAT_ID = "cc106a89-1814-919d-454c-f4f2f970aae7"
PATH = "/twitch/webhooks/eventsub"


@pytest_asyncio.fixture
async def twitch(twitch_settings: Callable[..., TwitchSettings]) -> AsyncIterator[Any]:
    settings = twitch_settings()
    app = create_app(settings)
    async with started(app, settings=settings):
        yield app


def runtime(app: Any) -> TwitchRuntime:
    rt: TwitchRuntime = app.extensions[RUNTIME_KEY]
    return rt


async def post(app: Any, signed: Any) -> Any:
    return await app.test_client().post(PATH, data=signed.body, headers=signed.headers)


async def caught_up(app: Any, eventsub: Any, fake_router: Any, eventually: Any) -> str:
    """Send a marker event and wait until it reached the router and the outbox is empty:
    whatever was stored before it has been delivered by then. The marker's event id."""
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    assert (await post(app, eventsub("channel.follow", message_id=marker))).status_code == 204
    await eventually(lambda: any(e["event_id"] == f"twitch:{marker}" for e in fake_router.events))
    await eventually(lambda: _empty(app))
    return f"twitch:{marker}"


async def _empty(app: Any) -> bool:
    return await runtime(app).outbox.pending() == 0


async def test_signed_chat_message_is_acknowledged_and_reaches_the_router(
    twitch: Any, eventsub: Any, fake_router: Any, eventually: Any
) -> None:
    answer = await post(twitch, eventsub("channel.chat.message"))
    assert answer.status_code == 204
    await eventually(lambda: fake_router.events)
    [event] = fake_router.events
    assert event["event_id"] == f"twitch:{CHAT_ID}"
    assert event["platform"] == "twitch"
    assert event["server_id"] == event["channel_id"] == "1971641"
    assert event["type"] == "chat_message"
    assert event["text"] == "!quote add the stream is on fire"
    assert event["user"] == {
        "platform_user_id": "4145994", "username": "viewer32", "display_name": "viewer32",
        "roles": ["moderator", "subscriber"],
    }  # fmt: skip
    assert event["reply"]["kind"] == "chat"
    assert event["reply"]["message_id"] == CHAT_ID


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "body_changed", "no_signature", "no_prefix", "other_message_id"],
    ids=str,
)
async def test_a_bad_signature_is_refused_with_403(
    twitch: Any, eventsub: Any, fake_router: Any, tamper: str, eventually: Any
) -> None:
    kwargs = {"secret": "a-different-secret-0123"} if tamper == "wrong_secret" else {}
    signed = eventsub("channel.chat.message", **kwargs)
    if tamper == "body_changed":
        signed.body = signed.body.replace(b"on fire", b"on ice!")
    elif tamper == "no_signature":
        del signed.headers["Twitch-Eventsub-Message-Signature"]
    elif tamper == "no_prefix":
        header = "Twitch-Eventsub-Message-Signature"
        signed.headers[header] = signed.headers[header].removeprefix("sha256=")
    else:
        signed.headers["Twitch-Eventsub-Message-Id"] = "another-id"
    answer = await post(twitch, signed)
    assert answer.status_code == 403
    assert (await answer.get_json())["error"]["code"] == "forbidden"
    marker = await caught_up(twitch, eventsub, fake_router, eventually)
    assert [e["event_id"] for e in fake_router.events] == [marker]


@pytest.mark.parametrize(("age", "status"), [(9 * 60, 204), (11 * 60, 403), (-11 * 60, 403)], ids=str)
async def test_the_replay_window_is_ten_minutes(twitch: Any, eventsub: Any, age: float, status: int) -> None:
    answer = await post(twitch, eventsub("channel.follow", age=age))
    assert answer.status_code == status
    if status == 403:
        assert (await answer.get_json())["error"]["details"]["reason"] == "stale_timestamp"


async def test_the_challenge_is_answered_as_plain_text(twitch: Any, eventsub: Any) -> None:
    answer = await post(twitch, eventsub("webhook_callback_verification"))
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert await answer.get_data(as_text=True) == "pogchamp-kappa-360noscope-vohiyo"
    row = await subscription_row(twitch, "f1c2a387-161a-49f9-a165-0f21d7a4e1c4")
    assert row["status"] == "enabled"


async def test_a_challenge_with_a_bad_signature_is_refused(twitch: Any, eventsub: Any) -> None:
    answer = await post(twitch, eventsub("webhook_callback_verification", secret="not-the-secret-0123456"))
    assert answer.status_code == 403
    assert "pogchamp" not in await answer.get_data(as_text=True)


async def test_a_duplicate_message_id_is_acknowledged_without_reprocessing(
    twitch: Any, eventsub: Any, fake_router: Any, eventually: Any
) -> None:
    first = eventsub("channel.cheer", message_id="dup-1")
    again = eventsub("channel.cheer", message_id="dup-1")  # Twitch's redelivery: same id
    other = eventsub("channel.cheer", message_id="dup-2")
    assert [(await post(twitch, s)).status_code for s in (first, again, other)] == [204, 204, 204]
    await eventually(lambda: len(fake_router.events) == 2)
    marker = await caught_up(twitch, eventsub, fake_router, eventually)
    assert sorted(e["event_id"] for e in fake_router.events) == sorted(
        ["twitch:dup-1", "twitch:dup-2", marker]
    )


async def test_a_revocation_is_recorded_and_acknowledged(
    twitch: Any, eventsub: Any, fake_router: Any
) -> None:
    answer = await post(twitch, eventsub("revocation"))
    assert answer.status_code == 204
    row = await subscription_row(twitch, "f1c2a387-161a-49f9-a165-0f21d7a4e1c4")
    assert row["status"] == "revoked"
    assert row["revoked_reason"] == "authorization_revoked"
    assert row["revoked_at"] is not None
    assert fake_router.events == []


async def test_the_bots_own_messages_never_reach_the_outbox(
    twitch: Any, eventsub: Any, fake_router: Any, bot_user_id: str, eventually: Any
) -> None:
    channel = str(uuid.uuid4().int % 10**9)

    def from_bot(payload: dict[str, Any]) -> None:
        payload["event"].update(chatter_user_id=bot_user_id, chatter_user_login="waddlebot")
        payload["event"]["broadcaster_user_id"] = channel

    rt = runtime(twitch)
    assert not await rt.channels.bot_is_moderator(channel)
    assert (await post(twitch, eventsub("channel.chat.message", change=from_bot))).status_code == 204
    marker = await caught_up(twitch, eventsub, fake_router, eventually)
    assert [e["event_id"] for e in fake_router.events] == [marker]
    assert await rt.channels.bot_is_moderator(channel)  # learnt from its moderator badge
    settings = twitch.extensions["waddlebot.settings"]
    assert await rt.channels.rate_for(channel) == settings.twitch_chat_rate_limit_mod


async def test_an_unreadable_signed_body_is_a_400(twitch: Any, eventsub: Any) -> None:
    signed = eventsub("channel.raid")
    signed.body = b"{not json"
    headers = signed.headers
    headers["Twitch-Eventsub-Message-Signature"] = sign(
        "eventsub-test-secret-0123456789", headers["Twitch-Eventsub-Message-Id"],
        headers["Twitch-Eventsub-Message-Timestamp"], signed.body,
    )  # fmt: skip
    answer = await post(twitch, signed)
    assert answer.status_code == 400
    assert (await answer.get_json())["error"]["code"] == "invalid_json"


async def test_status_reports_the_outbox(twitch: Any) -> None:
    answer = await twitch.test_client().get("/twitch/api/v1/status", headers=service_headers("twitch"))
    assert answer.status_code == 200
    assert await answer.get_json() == {
        "status": "enabled", "missing": [], "outbox_pending": 0, "outbox_worker": True,
        "delivery_pending": 0, "dead_letters": 0,
    }  # fmt: skip


async def test_without_secrets_the_collector_is_disabled_and_the_fleet_stays_ready(
    twitch_settings: Callable[..., TwitchSettings], eventsub: Any
) -> None:
    settings = twitch_settings(twitch_eventsub_secret=None, twitch_client_secret="")
    app = create_app(settings)
    async with started(app, settings=settings):
        client = app.test_client()
        signed = eventsub("channel.chat.message")
        answer = await client.post(PATH, data=signed.body, headers=signed.headers)
        assert answer.status_code == 503
        error = (await answer.get_json())["error"]
        assert error["code"] == "dependency_unavailable"
        assert error["details"]["missing"] == ["TWITCH_EVENTSUB_SECRET", "TWITCH_CLIENT_SECRET"]
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        checks = (await ready.get_json())["checks"]
        assert checks["twitch"]["ok"] is False
        assert checks["twitch"]["required"] is False
        status = await client.get("/twitch/api/v1/status", headers=service_headers("twitch"))
        assert (await status.get_json())["status"] == "disabled"


async def subscription_row(app: Any, twitch_id: str) -> dict[str, Any]:
    def select(db: Any) -> dict[str, Any]:
        t = db.eventsub_subscriptions
        row = db(t.twitch_id == twitch_id).select().first()
        return row.as_dict() if row else {}

    found: dict[str, Any] = await resources(app).db.run(select)
    return found
