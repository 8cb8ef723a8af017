"""Pure Slack logic: the v0 signature, normalisation and roles (no HTTP, no storage)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flask_core.errors import Unauthorized
from waddlebot_slack import normalise
from waddlebot_slack.normalise import BotIdentity
from waddlebot_slack.signature import sign, verify
from waddlebot_slack.web_api import roles_of

BOT = BotIdentity("U0BOT", "B0BOT", "T0WADDLE")

# The worked example of Slack's "Verifying requests from Slack" page.
DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DOC_TIMESTAMP = "1531420618"
DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_the_signature_matches_slacks_documented_example() -> None:
    assert sign(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY) == DOC_SIGNATURE
    headers = {"X-Slack-Signature": DOC_SIGNATURE, "X-Slack-Request-Timestamp": DOC_TIMESTAMP}
    verify(DOC_SECRET, headers, DOC_BODY, 300, now=float(DOC_TIMESTAMP) + 10)
    with pytest.raises(Unauthorized):
        verify(DOC_SECRET, headers, DOC_BODY + b"x", 300, now=float(DOC_TIMESTAMP) + 10)
    with pytest.raises(Unauthorized):
        verify(DOC_SECRET, headers, DOC_BODY, 300, now=time.time())


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("message", None),
        ("own_message", "bot"),
        ("bot_message", "subtype"),
        ("message_changed", "subtype"),
        ("channel_join", "subtype"),
    ],
    ids=["person", "own", "bot_message", "edit", "join"],
)
def test_only_people_writing_pass(load: Any, name: str, reason: str | None) -> None:
    assert normalise.drop_reason(load(name)["event"], BOT) == reason
    if reason is not None:
        assert normalise.callback_event(load(name), BOT) is None


def test_the_bots_own_user_is_dropped_even_without_a_bot_id(load: Any) -> None:
    envelope = load("message")
    envelope["event"]["user"] = "U0BOT"
    assert normalise.drop_reason(envelope["event"], BOT) == "own_message"


def test_message_and_mention_normalise_to_the_same_event(load: Any) -> None:
    message = load("message")
    message["event"]["text"] = "<@U0BOT> !quote"
    a = normalise.callback_event(message, BOT)
    b = normalise.callback_event(load("app_mention"), BOT)
    assert a is not None and b is not None
    assert a.event_id == b.event_id == "slack:T0WADDLE:C0GENERAL:1700000000.000100"
    assert a.text == b.text == "!quote"
    assert a.reply.message_id == "1700000000.000100"
    assert a.reply.thread_ts is None


def test_a_threaded_message_is_answered_in_its_thread(load: Any) -> None:
    envelope = load("message")
    envelope["event"]["thread_ts"] = "1699999999.000001"
    event = normalise.callback_event(envelope, BOT)
    assert event is not None and event.reply.thread_ts == "1699999999.000001"


@pytest.mark.parametrize(
    ("text", "bot", "mentioned", "expected"),
    [
        ("<@U0BOT> !quote", BOT, False, "!quote"),
        ("<@U0BOT|waddlebot>: !quote", BOT, False, "!quote"),
        ("<@U0AMY> !quote", BOT, False, "<@U0AMY> !quote"),
        ("<@U0XYZ> !quote", None, True, "!quote"),
        ("!quote <@U0BOT>", BOT, False, "!quote <@U0BOT>"),
    ],
    ids=["bot", "bot_with_name", "someone_else", "mention_unknown_bot", "not_leading"],
)
def test_a_leading_mention_of_the_bot_is_removed(
    text: str, bot: BotIdentity | None, mentioned: bool, expected: str
) -> None:
    assert normalise.strip_mention(text, bot, mentioned=mentioned) == expected


def test_a_slash_command_without_text_is_the_bare_command(load: Any) -> None:
    event = normalise.slash_command({**load("slash_command"), "text": ""})
    assert event.text == "!quote"
    assert event.type == "slash_command"


def test_member_joined_channel_is_a_member_join() -> None:
    envelope = {
        "team_id": "T0WADDLE",
        "event_id": "Ev0MJ",
        "event_time": 1700000000,
        "event": {
            "type": "member_joined_channel",
            "user": "U0BOB",
            "channel": "C0GENERAL",
            "team": "T0WADDLE",
        },
    }
    event = normalise.callback_event(envelope, BOT)
    assert event is not None and (event.type, event.event_id) == ("member_join", "slack:Ev0MJ")


def test_unknown_event_types_and_actionless_interactions_map_to_nothing(load: Any) -> None:
    assert normalise.callback_event({"event": {"type": "reaction_removed"}}, BOT) is None
    payload = load("block_actions")
    payload["actions"] = []
    assert normalise.interaction(payload) is None


@pytest.mark.parametrize(
    ("flags", "roles"),
    [
        ({"is_primary_owner": True, "is_owner": True, "is_admin": True}, ["broadcaster"]),
        ({"is_owner": True}, ["broadcaster"]),
        ({"is_admin": True}, ["moderator"]),
        ({}, []),
    ],
    ids=["primary_owner", "owner", "admin", "member"],
)
def test_workspace_roles_map_to_waddlebot_roles(flags: dict[str, bool], roles: list[str]) -> None:
    assert roles_of(flags) == roles
