"""Points from chat across two platforms, through the real router, identity and reputation."""

from __future__ import annotations

import asyncio
import re
from typing import Any

MOD = ["moderator"]


def code_of(body: dict[str, Any]) -> str:
    [dm] = [r for r in body["responses"] if r["type"] == "dm"]
    found = re.search(r"code is ([A-Z0-9]{6})\.", dm["text"])
    assert found is not None, dm["text"]
    return found.group(1)


async def test_link_on_discord_verify_on_twitch_shares_one_balance(chat_fleet: Any) -> None:
    async with chat_fleet() as chat:
        assert "has 0 points" in await chat.text("!points", user="amy")  # provisions the Twitch community
        await chat.join_platform("discord", "g1", into=("twitch", "tw1"))
        on_discord = {"platform": "discord", "server": "g1"}
        # amy already has points on Discord before linking: they follow her into one balance
        assert "has 0 points" in await chat.text("!points", user="amy_d", **on_discord)
        given = await chat.text("!points add @amy_d 20", user="mod_d", roles=MOD, **on_discord)
        assert given == "Gave amy_d 20 points; they now have 20 points."

        asked = await chat.say("!link twitch Amy", user="amy_d", **on_discord)
        assert [r["type"] for r in asked["responses"]] == ["dm"]
        code = code_of(asked)
        assert not set(code) & set("0O1IL")
        again = await chat.text("!link twitch amy", user="amy_d", **on_discord)
        assert "you can ask for a new one in" in again  # 60 s resend cooldown

        # someone else cannot use amy's code, and it links nothing
        foreign = await chat.text(f"!verify {code}", user="bob")
        assert foreign == "That code is not valid (wrong, used or expired)."
        assert "not linked" in await chat.text("!whoami", user="bob")

        linked = await chat.text(f"!verify {code.lower()}", user="amy")
        assert linked.startswith("Linked! You are user #") and "twitch: amy" in linked
        assert "discord: amy_d" in linked
        replay = await chat.text(f"!verify {code}", user="amy")
        assert replay == "That code is not valid (wrong, used or expired)."

        added = await chat.text("!points add @amy 100", user="streamer", roles=["broadcaster"])
        assert added == "Gave amy 100 points; they now have 120 points."
        assert await chat.text("!points", user="amy") == "amy has 120 points."
        assert await chat.text("!points", user="amy_d", **on_discord) == "amy_d has 120 points."
        whoami = await chat.text("!whoami", user="amy_d", **on_discord)
        assert "linked" in whoami and "twitch: amy" in whoami

        unlinked = await chat.text("!unlink discord", user="amy")
        assert unlinked.startswith("Unlinked your discord account.")
        assert await chat.text("!points", user="amy") == "amy has 120 points."
        assert await chat.text("!points", user="amy_d", **on_discord) == "amy_d has 0 points."


async def test_wrong_codes_burn_a_code_after_five_attempts(chat_fleet: Any) -> None:
    async with chat_fleet() as chat:
        await chat.text("!points", user="amy")
        code = code_of(await chat.say("!link discord carl", user="amy"))
        on_discord = {"platform": "discord", "server": "g9"}
        for _ in range(5):
            wrong = await chat.text("!verify ZZZZZZ", user="carl", **on_discord)
            assert wrong == "That code is not valid (wrong, used or expired)."
        burned = await chat.text(f"!verify {code}", user="carl", **on_discord)
        assert burned == "That code is not valid (wrong, used or expired)."
        assert "not linked" in await chat.text("!whoami", user="carl", **on_discord)


async def test_give_moves_points_and_refuses_bad_amounts(chat_fleet: Any) -> None:
    async with chat_fleet() as chat:
        await chat.text("!points", user="bob")
        await chat.text("!points", user="amy")
        await chat.text("!points add @amy 50", user="streamer", roles=["broadcaster"])
        assert (
            await chat.text("!give @bob 20", user="amy") == "You gave bob 20 points. You have 30 points left."
        )
        assert await chat.text("!points @bob", user="amy") == "bob has 20 points."
        refusals = {
            "!give @bob -5": "The amount must be positive.",
            "!give @bob 0": "The amount must be at least 1.",
            "!give @bob 1.5": "The amount must be a whole number of points.",
            "!give @bob 99999999999": "The amount can be at most 1,000,000 points.",
            "!give @bob 31": "You have only 30 points; nothing was given.",
            "!give @amy 1": "You cannot give points to yourself.",
            "!give @nobody 1": "I don't know @nobody on twitch yet.",
        }
        for text, expected in refusals.items():
            assert await chat.text(text, user="amy") == expected, text
        assert await chat.text("!points", user="amy") == "amy has 30 points."
        top = await chat.text("!top", user="bob")
        assert top == "Top 2: #1 amy (30) | #2 bob (20)"
        assert await chat.text("!rank", user="bob") == "bob, you are #2 of 2 with 20 points."
        denied = await chat.say("!points add @bob 5", user="bob")
        assert denied["status"] == "rejected"


async def test_twenty_concurrent_gifts_never_overspend(chat_fleet: Any) -> None:
    async with chat_fleet() as chat:
        for name in ("amy", "bob", "cat"):
            await chat.text("!points", user=name)
        await chat.text("!points add @amy 100", user="streamer", roles=["broadcaster"])
        answers = await asyncio.gather(
            *(chat.text(f"!give @{'bob' if i % 2 else 'cat'} 10", user="amy") for i in range(20))
        )
        given = [a for a in answers if a.startswith("You gave")]
        refused = [a for a in answers if a.startswith("You have only")]
        assert len(given) == 10 and len(refused) == 10, answers
        assert await chat.text("!points", user="amy") == "amy has 0 points."
        bob = int(re.findall(r"\d+", await chat.text("!points @bob", user="amy"))[0])
        cat = int(re.findall(r"\d+", await chat.text("!points @cat", user="amy"))[0])
        assert bob + cat == 100


async def test_chat_lines_earn_points_in_batches_with_a_per_minute_cap(
    chat_fleet: Any, eventually: Any
) -> None:
    async with chat_fleet() as chat:
        accrual = chat.reputation.extensions["reputation.accrual"]
        for _ in range(3):
            assert (await chat.say("hello chat", user="dan"))["status"] == "processed"

        async def has(points: int) -> bool:
            return await chat.text("!points", user="dan") == f"dan has {points} points."

        await eventually(lambda: has(3))
        for _ in range(10):
            await chat.say("more chat", user="dan")
        await eventually(lambda: has(5))  # 5 points a minute at most
        assert not accrual.pending
        follow = await chat.say("", user="eve", type_="follow")
        assert follow["status"] == "processed"
        assert await chat.text("!points", user="eve") == "eve has 10 points."


async def test_giveaway_start_join_draw(chat_fleet: Any) -> None:
    async with chat_fleet() as chat:
        assert await chat.text("!join", user="amy") == "There is no giveaway open right now."
        opened = await chat.text("!giveaway start a signed mug", user="mod", roles=MOD)
        assert opened == "Giveaway open: a signed mug! Type !join to enter."
        assert await chat.text("!join", user="amy") == "amy, you're in!"
        assert await chat.text("!join", user="amy") == "amy, you're already in."
        drawn = await chat.text("!giveaway draw --weighted", user="mod", roles=MOD)
        assert drawn == "The winner of a signed mug is amy (weighted by points), out of 1 entries!"
        assert (
            await chat.text("!giveaway draw", user="mod", roles=MOD) == "There is no giveaway open right now."
        )
