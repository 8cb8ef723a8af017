"""The Slack webhooks and delivery through HTTP, on both backends (embedded and fleet)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from aiohttp import web

from flask_core.testing import service_headers, wait_until
from waddlebot_slack.settings import SlackSettings

EVENTS = "/router/api/v1/events"
POST_MESSAGE = "/api/chat.postMessage"


async def caught_up(app: Any, send_to: Any, fake_slack: Any, make_message: Any) -> list[str]:
    """Send a marker message, wait until the router has it and the outbox is empty (so
    whatever was stored before it has been delivered); the texts the router received."""
    assert (await send_to.event(make_message("!marker"))).status_code == 200
    texts = lambda: [r.body["text"] for r in fake_slack.calls(EVENTS)]  # noqa: E731
    await wait_until(lambda: "!marker" in texts())

    async def drained() -> bool:
        return await app.extensions["slack.runtime"].outbox.pending() == 0

    await wait_until(drained)
    return texts()


async def test_url_verification_echoes_the_challenge(send_to: Any, load: Any) -> None:
    payload = load("url_verification")
    response = await send_to.event(payload)
    assert response.status_code == 200
    assert await response.get_json() == {"challenge": payload["challenge"]}


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "changed_body", "no_signature", "no_timestamp", "not_v0"],
    ids=["wrong_secret", "changed_body", "no_signature", "no_timestamp", "not_v0"],
)
async def test_a_bad_signature_is_refused_with_401(
    client: Any, load: Any, sign_headers: Any, tamper: str
) -> None:
    body = json.dumps(load("url_verification")).encode()
    headers = sign_headers(body, **({"secret": "another-secret"} if tamper == "wrong_secret" else {}))
    match tamper:
        case "changed_body":
            body = body.replace(b"url_verification", b"url_verificatioN")
        case "no_signature":
            del headers["X-Slack-Signature"]
        case "no_timestamp":
            del headers["X-Slack-Request-Timestamp"]
        case "not_v0":
            headers["X-Slack-Signature"] = headers["X-Slack-Signature"].replace("v0=", "v1=")
    response = await client.post("/slack/webhooks/events", data=body, headers=headers)
    assert response.status_code == 401
    assert (await response.get_json())["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("offset", [-301, 301, 299], ids=["stale", "future", "just_in_time"])
async def test_the_timestamp_must_be_within_five_minutes(
    client: Any, load: Any, sign_headers: Any, offset: int
) -> None:
    body = json.dumps(load("url_verification")).encode()
    headers = sign_headers(body, at=time.time() + offset)
    response = await client.post("/slack/webhooks/events", data=body, headers=headers)
    assert response.status_code == (200 if offset == 299 else 401)


async def test_a_message_is_acknowledged_then_forwarded_with_roles(
    send_to: Any, fake_slack: Any, make_message: Any
) -> None:
    payload = make_message("<@U0BOT> !quote 3", user="U0ADMIN")
    response = await send_to.event(payload)
    assert response.status_code == 200
    [forwarded] = await fake_slack.wait_for(EVENTS)
    event = forwarded.body
    ts = payload["event"]["ts"]
    assert event["event_id"] == f"slack:T0WADDLE:C0GENERAL:{ts}"
    assert (event["platform"], event["server_id"], event["channel_id"]) == ("slack", "T0WADDLE", "C0GENERAL")
    assert event["type"] == "chat_message"
    assert event["text"] == "!quote 3"
    assert event["user"] == {
        "platform_user_id": "U0ADMIN",
        "username": "u0admin",
        "display_name": "Amy",
        "roles": ["moderator"],
    }
    assert event["reply"]["kind"] == "chat"
    assert event["reply"]["message_id"] == ts
    assert forwarded.headers["Authorization"].startswith("Bearer ")
    [auth_test] = fake_slack.calls("/api/auth.test")
    assert auth_test.headers["Authorization"] == "Bearer xoxb-test-token"


async def test_a_retry_is_acknowledged_and_not_processed_again(
    app: Any, send_to: Any, fake_slack: Any, make_message: Any
) -> None:
    payload = make_message("!quote")
    assert (await send_to.event(payload)).status_code == 200
    retry = await send_to.event(payload, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    await fake_slack.wait_for(EVENTS)
    assert await caught_up(app, send_to, fake_slack, make_message) == ["!quote", "!marker"]


async def test_a_mention_arriving_as_message_and_app_mention_is_one_event(
    app: Any, send_to: Any, fake_slack: Any, make_message: Any
) -> None:
    ts = f"{time.time():.6f}"
    assert (await send_to.event(make_message("<@U0BOT> !quote", ts=ts))).status_code == 200
    assert (
        await send_to.event(make_message("<@U0BOT> !quote", ts=ts, kind="app_mention"))
    ).status_code == 200
    [forwarded] = await fake_slack.wait_for(EVENTS)
    assert forwarded.body["text"] == "!quote"
    assert forwarded.body["metadata"]["mentions_bot"] is True  # the AI answers lines addressed to it
    assert await caught_up(app, send_to, fake_slack, make_message) == ["!quote", "!marker"]


@pytest.mark.parametrize(
    "name", ["own_message", "bot_message", "message_changed", "channel_join"],
    ids=["own_message", "bot_message", "message_changed", "channel_join"],
)  # fmt: skip
async def test_the_bot_and_non_person_messages_never_reach_the_outbox(
    app: Any, send_to: Any, fake_slack: Any, load: Any, name: str, make_message: Any
) -> None:
    assert (await send_to.event(load(name))).status_code == 200
    assert await caught_up(app, send_to, fake_slack, make_message) == ["!marker"]


async def test_a_slash_command_becomes_a_bang_command_answered_by_response_url(
    send_to: Any, fake_slack: Any, load: Any
) -> None:
    fields = {**load("slash_command"), "user_id": "U0OWNER"}
    response = await send_to.form("/slack/webhooks/commands", fields)
    assert response.status_code == 200
    [forwarded] = await fake_slack.wait_for(EVENTS)
    event = forwarded.body
    assert event["event_id"] == f"slack:{fields['trigger_id']}"
    assert event["type"] == "slash_command"
    assert event["text"] == "!quote add x"
    assert event["user"]["roles"] == ["broadcaster"]
    assert event["reply"]["kind"] == "slack_response_url"
    assert event["reply"]["response_url"] == fields["response_url"]


async def test_interactivity_becomes_an_interaction_with_its_action_id(
    send_to: Any, fake_slack: Any, load: Any
) -> None:
    payload = load("block_actions")
    response = await send_to.form("/slack/webhooks/interactivity", {"payload": json.dumps(payload)})
    assert response.status_code == 200
    [forwarded] = await fake_slack.wait_for(EVENTS)
    assert forwarded.body["event_id"] == f"slack:{payload['trigger_id']}"
    assert forwarded.body["type"] == "interaction"
    assert forwarded.body["metadata"]["action_id"] == "memories:upvote"
    assert forwarded.body["reply"]["kind"] == "slack_response_url"


async def test_unreadable_bodies_get_a_4xx(client: Any, sign_headers: Any) -> None:
    body = b"{not json"
    response = await client.post("/slack/webhooks/events", data=body, headers=sign_headers(body))
    assert response.status_code == 400
    body = json.dumps({"type": "event_callback", "event_id": "Ev1"}).encode()
    response = await client.post("/slack/webhooks/events", data=body, headers=sign_headers(body))
    assert response.status_code == 400


async def test_without_secrets_the_collector_is_disabled(
    make_settings: Any, backend: Any, load: Any, sign_headers: Any
) -> None:
    from flask_core.testing import started
    from waddlebot_slack.app import create_app

    app = create_app(make_settings(SlackSettings, **backend))
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        client = app.test_client()
        body = json.dumps(load("url_verification")).encode()
        response = await client.post("/slack/webhooks/events", data=body, headers=sign_headers(body))
        assert response.status_code == 503
        error = (await response.get_json())["error"]
        assert error["details"]["missing"] == ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"]
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready_check(await ready.get_json(), "slack")["ok"] is False


def ready_check(body: dict[str, Any], name: str) -> dict[str, Any]:
    check: dict[str, Any] = body["checks"][name]
    return check


# --- delivery -----------------------------------------------------------------------------


def delivery(reply: dict[str, Any], *texts: str, invocation: str = "inv-1") -> dict[str, Any]:
    return {
        "invocation_id": invocation,
        "server_id": "T0WADDLE",
        "channel_id": "C0GENERAL",
        "reply": reply,
        "responses": [{"type": "chat", "text": text} for text in texts],
    }


async def deliver(client: Any, body: dict[str, Any]) -> Any:
    response = await client.post("/slack/api/v1/messages", json=body, headers=service_headers("slack"))
    assert response.status_code == 202, await response.get_data()
    await client.app.extensions["waddlebot.delivery"].join()
    return await response.get_json()


async def test_chat_replies_are_posted_once_escaped_and_threaded(client: Any, fake_slack: Any) -> None:
    body = delivery({"kind": "chat", "thread_ts": "1700000000.000100"}, "<!channel> Tom & Jerry")
    assert (await deliver(client, body))["queued"] == 1
    assert (await deliver(client, body))["duplicates"] == 1
    [post] = fake_slack.calls("/api/chat.postMessage")
    assert post.body == {
        "channel": "C0GENERAL",
        "text": "&lt;!channel&gt; Tom &amp; Jerry",
        "thread_ts": "1700000000.000100",
    }
    assert post.headers["Authorization"] == "Bearer xoxb-test-token"


async def test_slash_command_replies_go_to_the_response_url(client: Any, fake_slack: Any) -> None:
    url = f"{fake_slack.url}/hooks/commands/T0WADDLE/1/abc"
    await deliver(client, delivery({"kind": "slack_response_url", "response_url": url}, "Quote #1"))
    [hook] = fake_slack.calls("/hooks/commands/T0WADDLE/1/abc")
    assert hook.body == {"text": "Quote #1", "response_type": "in_channel"}
    assert fake_slack.calls("/api/chat.postMessage") == []


async def test_a_response_url_outside_slack_is_never_called(client: Any, fake_slack: Any) -> None:
    reply = {"kind": "slack_response_url", "response_url": "http://127.0.0.1:9/steal"}
    await deliver(client, delivery(reply, "secret"))
    assert [r for r in fake_slack.requests if not r.path.startswith(("/api/auth", EVENTS))] == []


@pytest.mark.parametrize(
    "first",
    [
        lambda: web.json_response({"ok": False, "error": "ratelimited"}, headers={"Retry-After": "0"}),
        lambda: web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
        ),
        lambda: web.json_response({"ok": False, "error": "internal_error"}),
    ],
    ids=["ok_false_ratelimited", "http_429", "internal_error"],
)
async def test_rate_limited_and_slack_side_failures_are_retried(
    client: Any, fake_slack: Any, first: Any
) -> None:
    fake_slack.script("/api/chat.postMessage", first())
    await deliver(client, delivery({"kind": "chat"}, "hello"))
    assert len(fake_slack.calls("/api/chat.postMessage")) == 2


async def test_a_refused_message_is_dropped_not_retried(client: Any, fake_slack: Any) -> None:
    fake_slack.script("/api/chat.postMessage", web.json_response({"ok": False, "error": "channel_not_found"}))
    await deliver(client, delivery({"kind": "chat"}, "hello"))
    assert len(fake_slack.calls("/api/chat.postMessage")) == 1


async def test_messages_to_one_channel_keep_the_per_channel_rate(
    make_settings: Any, slack_env: dict[str, Any], fake_slack: Any
) -> None:
    from flask_core.testing import started
    from waddlebot_slack.app import create_app

    env = {**slack_env, "slack_chat_rate_limit": "1/250ms", "router_url": fake_slack.url}
    app = create_app(make_settings(SlackSettings, **env))
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        await deliver(app.test_client(), delivery({"kind": "chat"}, "one", "two", "three"))
    posts = fake_slack.calls(POST_MESSAGE)
    assert [p.body["text"] for p in posts] == ["one", "two", "three"]
    gaps = [b.at - a.at for a, b in zip(posts, posts[1:], strict=False)]
    assert min(gaps) >= 0.2, gaps


async def test_events_are_stored_and_acknowledged_at_once_while_the_router_is_down(
    make_settings: Any, slack_env: dict[str, Any], make_message: Any, sign_headers: Any
) -> None:
    from flask_core.testing import FakeHttpServer, started
    from waddlebot_slack.app import create_app

    release = asyncio.Event()

    async def hanging(call: Any) -> web.StreamResponse:
        await release.wait()  # the router accepts the connection and never answers in time
        return web.json_response({"status": "processed"})

    router = FakeHttpServer()
    router.route("POST", EVENTS, hanging)
    async with router.serving():
        app = create_app(make_settings(SlackSettings, router_url=router.url, **slack_env))
        async with started(app, settings=app.extensions["waddlebot.settings"]):
            body = json.dumps(make_message("!quote")).encode()
            async with asyncio.timeout(10):  # the acknowledgement never waits for the router
                response = await app.test_client().post(
                    "/slack/webhooks/events", data=body, headers=sign_headers(body)
                )
                assert response.status_code == 200
                await router.wait_for(EVENTS)  # the worker's delivery is still hanging
            assert not release.is_set()
            assert await app.extensions["slack.runtime"].outbox.pending() == 1
            release.set()
