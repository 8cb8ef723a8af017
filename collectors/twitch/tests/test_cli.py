"""`waddlebot twitch subscribe|list|delete` against the fake Helix."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from flask_core import platform_tokens
from flask_core.resources import Resources
from waddlebot_twitch import cli
from waddlebot_twitch.channels import Channels
from waddlebot_twitch.models import define_tables
from waddlebot_twitch.settings import TwitchSettings

SECRET = "eventsub-test-secret-0123456789"


def new_channel() -> str:
    return str(700_000_000 + uuid.uuid4().int % 99_999_999)


@pytest.fixture
async def settings(twitch_settings: Callable[..., TwitchSettings]) -> TwitchSettings:
    """Collector settings with the tables migrated (what `waddlebot migrate` does)."""
    values = twitch_settings()
    res = await Resources.open(values)
    try:
        res.db.add_models(platform_tokens.define_tables)
        res.db.add_models(define_tables)
        await res.db.migrate()
    finally:
        await res.close()
    return values


async def rows(settings: TwitchSettings, broadcaster_id: str) -> list[dict[str, Any]]:
    res = await Resources.open(settings)
    try:
        res.db.add_models(define_tables)

        def select(db: Any) -> list[dict[str, Any]]:
            t = db.eventsub_subscriptions
            return [r.as_dict() for r in db(t.broadcaster_id == broadcaster_id).select(orderby=t.id)]

        return await res.db.run(select)
    finally:
        await res.close()


async def test_subscribe_creates_every_subscription_with_the_app_token(
    settings: TwitchSettings, fake_twitch: Any, bot_user_id: str
) -> None:
    target = new_channel()
    fake_twitch.moderated = [target]
    lines: list[str] = []
    assert await cli.subscribe(settings, target, out=lines.append) == 0
    assert len(lines) == 8 and all(line.endswith(": created") for line in lines)
    subs = list(fake_twitch.subscriptions.values())
    assert {s["type"] for s in subs} == {
        "channel.chat.message", "channel.follow", "channel.subscribe", "channel.subscription.gift",
        "channel.cheer", "channel.raid", "stream.online", "stream.offline",
    }  # fmt: skip
    for sub in subs:
        assert sub["transport"]["callback"] == "https://bot.example.com/twitch/webhooks/eventsub"
        assert sub["_secret"] == SECRET
    by_type = {s["type"]: s for s in subs}
    assert by_type["channel.chat.message"]["condition"] == {
        "broadcaster_user_id": target,
        "user_id": bot_user_id,
    }
    assert by_type["channel.follow"]["version"] == "2"
    assert by_type["channel.follow"]["condition"]["moderator_user_id"] == bot_user_id
    assert by_type["channel.raid"]["condition"] == {"to_broadcaster_user_id": target}
    grants = [r["grant_type"] for r in fake_twitch.token_requests]
    assert grants == ["client_credentials"]  # one app token, cached for every call
    recorded = await rows(settings, target)
    assert len(recorded) == 8
    assert {r["status"] for r in recorded} == {"webhook_callback_verification_pending"}
    res = await Resources.open(settings)
    try:
        res.db.add_models(define_tables)
        assert await Channels(res, settings).bot_is_moderator(target)
    finally:
        await res.close()
    again: list[str] = []
    assert await cli.subscribe(settings, target, out=again.append) == 0
    assert all(line.endswith(": exists") for line in again)


async def test_list_pages_through_every_subscription(settings: TwitchSettings, fake_twitch: Any) -> None:
    await cli.subscribe(settings, new_channel(), out=lambda _: None)
    lines: list[str] = []
    assert await cli.list_subscriptions(settings, out=lines.append) == 0
    assert lines[-1] == "8 subscription(s)"
    listed = [r for r in fake_twitch.requests if r[:2] == ("GET", "/helix/eventsub/subscriptions")]
    assert len(listed) == 2  # five per page on the fake


async def test_delete_removes_one_subscription(settings: TwitchSettings, fake_twitch: Any) -> None:
    broadcaster = new_channel()
    await cli.subscribe(settings, broadcaster, out=lambda _: None)
    target = next(iter(fake_twitch.subscriptions))
    lines: list[str] = []
    assert await cli.delete(settings, target, out=lines.append) == 0
    assert lines == [f"deleted {target}"]
    assert target not in fake_twitch.subscriptions
    statuses = {r["twitch_id"]: r["status"] for r in await rows(settings, broadcaster)}
    assert statuses[target] == "deleted"
    assert await cli.delete(settings, "no-such-id", out=lines.append) == 1


async def test_commands_refuse_to_run_without_secrets(twitch_settings: Callable[..., TwitchSettings]) -> None:
    lines: list[str] = []
    assert await cli.list_subscriptions(twitch_settings(twitch_client_id=None), out=lines.append) == 2
    assert lines == ["twitch: missing settings: TWITCH_CLIENT_ID"]


def test_register_adds_the_twitch_commands() -> None:
    parser = argparse.ArgumentParser(prog="waddlebot")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["twitch", "subscribe", "1337"])
    assert args.broadcaster_id == "1337" and callable(args.func)
    assert callable(parser.parse_args(["twitch", "list"]).func)
    assert parser.parse_args(["twitch", "delete", "abc"]).subscription_id == "abc"
