"""Pure Discord logic: roles, command text, the rendezvous, empty answers (no HTTP)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from flask_core.errors import Unauthorized
from waddlebot_discord.forwarding import needs_empty_answer
from waddlebot_discord.normalise import (
    ADMINISTRATOR,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MODERATE_MEMBERS,
    GuildInfo,
    command_words,
    interaction_event,
    member_permissions,
    message_event,
    roles_from_permissions,
    snowflake_time,
)
from waddlebot_discord.rendezvous import Offer, Rendezvous
from waddlebot_discord.signature import Verifier


@pytest.mark.parametrize(
    ("permissions", "roles"),
    [
        (ADMINISTRATOR, ["broadcaster"]),
        (str(MANAGE_GUILD | MANAGE_MESSAGES), ["broadcaster"]),
        (MODERATE_MEMBERS, ["moderator"]),
        (str(MANAGE_MESSAGES), ["moderator"]),
        ("1071698660929", []),
        (None, []),
        ("not a number", []),
    ],
    ids=[
        "administrator",
        "manage_guild",
        "moderate_members",
        "manage_messages",
        "everyone",
        "none",
        "garbage",
    ],
)
def test_permission_bits_map_to_roles(permissions: Any, roles: list[str]) -> None:
    assert roles_from_permissions(permissions) == roles


def test_a_slash_command_reads_as_its_chat_command(make_interaction: Any) -> None:
    event = interaction_event(make_interaction(args="add hello", permissions=MODERATE_MEMBERS))
    assert event is not None
    assert (event.type, event.text, event.user.roles) == ("slash_command", "!quote add hello", ["moderator"])
    assert event.occurred_at.year >= 2024
    assert interaction_event(make_interaction(args="")) is not None


def test_subcommands_and_other_options_keep_their_order() -> None:
    data = {
        "name": "quote",
        "options": [{"type": 2, "name": "admin", "options": [{"type": 1, "name": "remove", "options": [
            {"type": 4, "name": "number", "value": 12}
        ]}]}],
    }  # fmt: skip
    assert command_words(data) == ["quote", "admin", "remove", "12"]


def test_direct_message_interactions_are_not_events(load: Any) -> None:
    assert interaction_event(load("dm_command")) is None


def test_snowflakes_carry_their_time() -> None:
    assert snowflake_time("175928847299117063") == datetime(2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC)


def test_member_permissions_come_from_everyone_their_roles_or_ownership() -> None:
    guild = GuildInfo("9", {"1": 1024, "2": MANAGE_MESSAGES, "3": ADMINISTRATOR})
    assert member_permissions("1", "5", [], guild) == 1024
    assert member_permissions("1", "5", ["2"], guild) == 1024 | MANAGE_MESSAGES
    assert member_permissions("1", "9", [], guild) == ADMINISTRATOR
    assert roles_from_permissions(member_permissions("1", "5", ["3"], guild)) == ["broadcaster"]


def test_gateway_messages_without_a_guild_cache_have_no_roles(load: Any) -> None:
    event = message_event(load("message_create")["d"], None)
    assert event is not None and event.user.roles == []
    assert message_event(load("message_create_bot")["d"], None) is None
    direct = {**load("message_create")["d"], "guild_id": None}
    assert message_event(direct, None) is None


def test_an_invalid_public_key_refuses_everything() -> None:
    verifier = Verifier("not-hex")
    with pytest.raises(Unauthorized):
        verifier.verify({"X-Signature-Ed25519": "00" * 64, "X-Signature-Timestamp": "1"}, b"{}")


@pytest.mark.parametrize(
    ("answer", "empty"),
    [
        ({"status": "ignored", "responses": []}, True),
        ({"status": "rate_limited", "responses": []}, True),
        ({"status": "processed", "responses": [{"type": "overlay", "source": "alert", "payload": {}}]}, True),
        ({"status": "processed", "responses": [{"type": "chat", "text": " "}]}, True),
        ({"status": "processed", "responses": [], "pending": True}, False),
        ({"status": "processed", "responses": [{"type": "chat", "text": "hi"}]}, False),
        ({"status": "rejected", "responses": [{"type": "error", "code": "forbidden", "text": "no"}]}, False),
        ({"status": "duplicate", "responses": []}, False),
    ],
    ids=["ignored", "silent_limit", "overlay_only", "blank", "pending", "chat", "rejected", "duplicate"],
)
def test_which_router_answers_need_the_empty_text(answer: dict[str, Any], empty: bool) -> None:
    payload = {"reply": {"kind": "discord_interaction", "interaction_id": "1", "interaction_token": "t"}}
    assert needs_empty_answer(payload, answer) is empty
    assert needs_empty_answer({"reply": {"kind": "chat"}}, answer) is False


# --- the rendezvous, in process and on Redis ------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def rendezvous(request: pytest.FixtureRequest, key_prefix: str) -> Rendezvous:
    redis = request.getfixturevalue("redis_client") if request.param == "redis" else None
    return Rendezvous(redis, prefix=key_prefix, ttl=60, poll=0.01)


async def test_an_answer_offered_before_the_wait_is_taken_at_once(rendezvous: Rendezvous) -> None:
    assert await rendezvous.offer("1", {"content": "hi"}) is Offer.INLINE
    assert await rendezvous.wait("1", 1.0) == {"content": "hi"}
    assert await rendezvous.offer("1", {"content": "again"}) is Offer.ANSWERED


async def test_an_answer_offered_during_the_wait_wakes_it(rendezvous: Rendezvous) -> None:
    waiting = asyncio.create_task(rendezvous.wait("2", 600.0))  # woken by the offer, not the deadline
    await asyncio.sleep(0.05)  # let it start waiting (an earlier offer is the test above)
    assert await rendezvous.offer("2", {"content": "now"}) is Offer.INLINE
    async with asyncio.timeout(10):  # a guard against hanging, far below the wait's 600 s
        assert await waiting == {"content": "now"}


async def test_after_the_wait_the_interaction_is_deferred_and_edited_once(rendezvous: Rendezvous) -> None:
    assert await rendezvous.wait("3", 0.05) is None
    assert await rendezvous.offer("3", {"content": "late"}) is Offer.DEFERRED
    assert await rendezvous.claim_original("3") is True
    assert await rendezvous.claim_original("3") is False
    await rendezvous.release_original("3")
    assert await rendezvous.claim_original("3") is True


async def test_concurrent_offers_and_the_deadline_have_exactly_one_winner(rendezvous: Rendezvous) -> None:
    waiting = asyncio.create_task(rendezvous.wait("4", 0.05))
    offers = await asyncio.gather(*(rendezvous.offer("4", {"content": str(i)}) for i in range(5)))
    answer = await waiting
    winners = [o for o in offers if o is Offer.INLINE]
    assert len(winners) == 1
    assert answer is not None and json.dumps(answer)
