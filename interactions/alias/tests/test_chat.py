"""Aliases from chat through the real router and alias service (real HTTP, both backends)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from waddlebot_alias.service import MAX_DEPTH, cache_key


def event(
    text: str, *, user: str = "viewer", roles: list[str] | None = None, server: str = "chan1"
) -> dict[str, Any]:
    return {
        "event_id": f"twitch:{uuid.uuid4()}",
        "platform": "twitch",
        "server_id": server,
        "channel_id": server,
        "user": {"platform_user_id": f"id-{user}", "username": user, "display_name": user.title(),
                 "roles": roles or []},
        "type": "chat_message",
        "text": text,
        "reply": {"kind": "inline"},
    }  # fmt: skip


def mod(text: str, **extra: Any) -> dict[str, Any]:
    return event(text, user="mod", roles=["moderator"], **extra)


def text_of(body: dict[str, Any]) -> str:
    return " | ".join(r["text"] for r in body["responses"])


async def only_community(f: Any) -> int:
    def read(d: Any) -> int:
        return int(d(d.communities).select(d.communities.id).first().id)

    community: int = await f.dispatcher.resources.db.read(read)
    return community


async def say(f: Any, ev: dict[str, Any]) -> dict[str, Any]:
    response = await f.post(ev)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_add_use_show_list_remove(fleet: Any) -> None:
    async with fleet() as f:
        added = await say(f, mod("!alias add discord Join us at https://discord.example/waddle, $(user)!"))
        assert text_of(added) == "Alias !discord added."
        used = await say(f, event("!discord", user="amy"))
        assert used["status"] == "processed"
        assert text_of(used) == "Join us at https://discord.example/waddle, Amy!"
        shown = await say(f, event("!alias show discord"))
        assert text_of(shown).startswith("!discord → Join us at https://discord.example/waddle, $(user)!")
        await say(f, mod("!alias add hug $(user) hugs $(touser)"))
        assert text_of(await say(f, event("!alias list"))) == "Aliases: !discord, !hug"
        removed = await say(f, mod("!alias remove discord"))
        assert text_of(removed) == "Alias !discord removed."
        gone = await say(f, event("!discord"))
        assert gone["status"] == "ignored"  # the router's cached table was invalidated
        assert text_of(await say(f, mod("!alias remove discord"))) == "There is no alias !discord."


async def test_the_variables(fleet: Any) -> None:
    async with fleet() as f:
        template = "$(user)>$(touser) [$(1)|$(2)|$(9)] q=$(query) on $(channel)/$(platform) $(random x|y) $(time UTC)"
        await say(f, mod(f"!alias add vars {template}"))
        answer = text_of(await say(f, event("!vars @Bob two words", user="amy")))
        head, _, clock = answer.rpartition(" ")[0].rpartition(" ")
        assert answer.startswith("Amy>Bob [@Bob|two|$(9)] q=@Bob two words on chan1/twitch ")
        assert answer.split(" ")[-3] in ("x", "y") and answer.endswith(" UTC")
        assert head and clock.count(":") == 1
        assert text_of(await say(f, event("!vars", user="amy"))).startswith("Amy>Amy [$(1)|$(2)|$(9)] q= ")


async def test_values_and_text_are_inserted_literally(fleet: Any) -> None:
    async with fleet() as f:
        await say(f, mod("!alias add x {0.__class__} $(user)"))
        assert text_of(await say(f, event("!x", user="amy"))) == "{0.__class__} Amy"
        await say(f, mod("!alias add echo said: $(query)"))
        sneaky = await say(f, event("!echo $(user) {0.__init__} !alias add evil hi"))
        assert text_of(sneaky) == "said: $(user) {0.__init__} !alias add evil hi"
        assert (await say(f, event("!evil")))["status"] == "ignored"


async def test_an_alias_of_a_command_runs_it_with_the_callers_role(fleet: Any) -> None:
    async with fleet() as f:
        await say(f, mod("!quote add Never give up - Waddles"))
        await say(f, mod("!alias add q !quote $(1)"))
        assert "Never give up" in text_of(await say(f, event("!q 1")))
        await say(f, mod("!alias add addq !quote add $(query)"))
        refused = await say(f, event("!addq sneaky quote"))  # the alias is open to everyone…
        assert refused["status"] == "rejected"  # …but !quote add needs a moderator
        assert "needs moderator" in text_of(refused)
        assert text_of(await say(f, mod("!addq a real one"))) == "Quote #2 added."
        await say(f, mod("!alias add qq !q $(1)"))  # an alias of an alias
        assert "Never give up" in text_of(await say(f, event("!qq 1")))


async def test_role_and_cooldown_of_an_alias(fleet: Any) -> None:
    async with fleet() as f:
        assert (
            text_of(await say(f, mod("!alias add --role vip --cooldown 1h vipcmd for VIPs")))
            == "Alias !vipcmd added."
        )
        refused = await say(f, event("!vipcmd"))
        assert refused["status"] == "rejected" and "needs vip" in text_of(refused)
        vip = event("!vipcmd", user="vee", roles=["vip"])
        assert text_of(await say(f, vip)) == "for VIPs"
        again = await say(f, event("!vipcmd", user="vee", roles=["vip"]))
        assert again["status"] == "rate_limited" and again["responses"] == []


async def test_viewers_cannot_add_or_remove(fleet: Any) -> None:
    async with fleet() as f:
        refused = await say(f, event("!alias add mine hello"))
        assert refused["status"] == "rejected" and "needs moderator" in text_of(refused)
        await say(f, mod("!alias add keep hello"))
        assert (await say(f, event("!alias remove keep")))["status"] == "rejected"
        assert text_of(await say(f, event("!keep"))) == "hello"


async def test_self_reference_cycles_and_depth_are_refused_at_creation(fleet: Any) -> None:
    async with fleet() as f:
        assert "cannot expand to itself" in text_of(await say(f, mod("!alias add a !a")))
        assert text_of(await say(f, mod("!alias add a !b"))) == "Alias !a added."
        assert text_of(await say(f, mod("!alias add b !c $(1)"))) == "Alias !b added."
        assert "loop" in text_of(await say(f, mod("!alias add c !a")))
        for name, target in (("c", "d"), ("d", "e")):
            assert text_of(await say(f, mod(f"!alias add {name} !{target}"))) == f"Alias !{name} added."
        assert text_of(await say(f, mod("!alias add e end of the line"))) == "Alias !e added."
        assert text_of(await say(f, event("!a"))) == "end of the line"  # five expansions: a→…→e
        assert "more than 5" in text_of(await say(f, mod("!alias add top !a")))  # top→a→…→e: six
        await say(f, mod("!alias remove e"))
        assert text_of(await say(f, mod("!alias add e !f"))) == "Alias !e added."  # f: not an alias
        assert "more than 5" in text_of(await say(f, mod("!alias add f hi")))  # a→…→e→f: six
        assert "already" in text_of(await say(f, mod("!alias add d again")))
        assert "cannot be an alias" in text_of(await say(f, mod("!alias add alias hi")))
        assert "$(1) is not" not in text_of(await say(f, mod("!alias add v !$(1)")))


async def test_a_dangling_alias_says_so_and_expansion_stops_at_the_depth_limit(fleet: Any) -> None:
    async with fleet() as f:
        await say(f, mod("!alias add z1 !nothing"))
        assert text_of(await say(f, event("!z1"))) == "!z1: !nothing is not a command here."
        # Creation refuses chains longer than five; one written behind the service's back
        # (say, by two moderators at once) still stops at the limit.
        community_id = await only_community(f)
        rows = [(f"l{n}", f"!l{n + 1}") for n in range(1, 6)] + [("l6", "the end")]

        def insert(d: Any) -> None:
            for name, body in rows:
                d.aliases.insert(community_id=community_id, name=name, body=body, role="everyone", uses=0)

        res = f.dispatcher.resources
        await res.db.run(insert)
        await res.cache.invalidate(cache_key(community_id))
        assert text_of(await say(f, event("!l1"))) == "!l1: stopped after 5 nested aliases."


async def test_count_is_atomic_under_20_concurrent_uses(fleet: Any) -> None:
    async with fleet() as f:
        await say(f, mod("!alias add hype Hype number $(count)!"))
        answers = await asyncio.gather(*(say(f, event("!hype", user=f"viewer{i}")) for i in range(20)))
        numbers = sorted(int(text_of(a).removeprefix("Hype number ").rstrip("!")) for a in answers)
        assert numbers == list(range(1, 21))
        assert "used 20x" in text_of(await say(f, event("!alias show hype")))


async def test_a_redelivered_use_counts_once(fleet: Any) -> None:
    async with fleet() as f:
        await say(f, mod("!alias add c1 count $(count)"))
        ev = event("!c1")
        assert text_of(await say(f, ev)) == "count 1"
        assert (await say(f, ev))["status"] == "duplicate"
        assert text_of(await say(f, event("!c1"))) == "count 2"


async def test_module_commands_win_over_aliases(fleet: Any) -> None:
    async with fleet() as f:
        await say(f, mod("!alias add quote shadowed"))
        await say(f, mod("!quote add real - me"))
        assert "real" in text_of(await say(f, event("!quote 1")))


def test_the_router_reads_the_key_this_service_invalidates() -> None:
    from waddlebot_router import aliases as router_aliases

    assert router_aliases.cache_key(42) == cache_key(42)
    assert router_aliases.MAX_DEPTH == MAX_DEPTH


async def test_aliases_in_a_batch_count_and_run_their_commands(fleet: Any) -> None:
    async with fleet() as f:
        await say(f, mod("!alias add hype Hype $(count)"))
        await say(f, mod("!quote add batched - me"))
        await say(f, mod("!alias add q !quote $(1)"))
        events = [event("!hype", user=f"v{i}") for i in range(5)] + [event("!q 1"), event("!alias add no x")]
        results = (await f.batch(events)).json()["results"]
        assert [r["status"] for r in results] == ["processed"] * 6 + ["rejected"]
        assert sorted(text_of(r) for r in results[:5]) == [f"Hype {n}" for n in range(1, 6)]
        assert "batched" in text_of(results[5])
