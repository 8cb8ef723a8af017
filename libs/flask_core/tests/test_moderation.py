"""The moderation evaluator (flask_core.moderation): filters, exemptions, escalation, state."""

from __future__ import annotations

from typing import Any

import pytest

from flask_core.moderation import (
    History,
    Message,
    Strikes,
    check_pattern,
    compile_rules,
    escalate,
    evaluate,
    links,
)


def on(**filters: dict[str, Any]) -> dict[str, Any]:
    return {"filters": {name: {"enabled": True, **values} for name, values in filters.items()}}


def said(text: str, *, roles: tuple[str, ...] = (), platform: str = "twitch", emotes: int | None = None,
         user: str = "bob") -> Message:  # fmt: skip
    return Message(platform, f"id-{user}", user, roles, text, emotes)


def rule(
    doc: dict[str, Any], message: Message, history: History | None = None, now: float = 1000.0
) -> str | None:
    verdict = evaluate(compile_rules(doc), 1, message, history or History(), now=now)
    return verdict.rule if verdict else None


def test_nothing_is_on_by_default_and_an_empty_word_list_costs_nothing() -> None:
    rules = compile_rules(None)
    assert not rules.active
    assert evaluate(rules, 1, said("https://spam.example SHOUTING!!!"), History()) is None


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("see https://spam.example/x", True), ("www.spam.example", True), ("visit evil.xyz now", True),
        ("clip at clips.twitch.tv/abc", True), ("youtube.com/watch?v=1", False), ("m.youtube.com/x", False),
        ("version 1.2.3", False), ("e.g. this", False), ("no links here", False), ("notyoutube.com", True),
    ],
)  # fmt: skip
def test_links_with_an_allow_list(text: str, hit: bool) -> None:
    doc = on(links={"allow": ["youtube.com"]})
    assert (rule(doc, said(text)) == "links") is hit
    assert links("A HTTPS://Example.COM/x") == ["example.com"]


def test_caps_symbols_length_and_emotes() -> None:
    doc = on(caps={"min_length": 10, "ratio": 0.7}, symbols={"min_length": 10}, length={"max": 150},
             emotes={"max": 3})  # fmt: skip
    assert rule(doc, said("WHY IS EVERYONE SHOUTING")) == "caps"
    assert rule(doc, said("OK FINE")) is None  # shorter than min_length
    assert rule(doc, said("!!!!!!!!!!!! ????")) == "symbols"  # no letters: not caps
    assert rule(doc, said("word " * 40)) == "length"
    assert rule(doc, said("Kappa Kappa Kappa Kappa", emotes=4)) == "emotes"
    assert rule(doc, said("<:pog:123456789012345678> " * 4, platform="discord")) == "emotes"
    assert rule(doc, said("<:pog:123456789012345678> hi", platform="discord")) is None


def test_repetition_of_a_message_and_of_a_character() -> None:
    doc = on(repetition={"max_repeats": 2, "window": 30, "max_run": 8})
    history = History()
    assert [rule(doc, said("buy gold"), history, now=100 + i) for i in range(3)] == [None, None, "repetition"]
    assert rule(doc, said("buy gold", user="amy"), history, now=104) is None  # per user
    assert rule(doc, said("buy gold"), history, now=200) is None  # out of the window
    assert rule(doc, said("hellooooooooo"), history) == "repetition"


def test_words_are_whole_words_case_insensitive_and_patterns_regexes() -> None:
    doc = on(words={"words": ["darn", "f*ck"], "patterns": [r"fr[e3]{2}\s*v-?bucks"]})
    assert rule(doc, said("oh DARN it")) == "words"
    assert rule(doc, said("darnit")) is None and rule(doc, said("a f*ck up")) == "words"
    assert rule(doc, said("get fr33 v-bucks")) == "words"
    assert rule(doc, said("f.ck")) is None  # plain words are never patterns


def test_exempt_roles_per_community_and_per_filter() -> None:
    doc = on(links={}, caps={"min_length": 5, "exempt": ["subscriber"]})
    assert rule(doc, said("https://x.example", roles=("moderator",))) is None
    assert rule(doc, said("https://x.example", roles=("vip",))) == "links"
    doc["exempt_roles"] = ["moderator", "broadcaster", "vip"]
    assert rule(doc, said("https://x.example", roles=("vip",))) is None
    assert rule(doc, said("LOUD NOISES", roles=("subscriber",))) is None
    assert rule(doc, said("LOUD NOISES", roles=("moderator",))) == "caps"  # its own list only
    assert rule(doc, said("https://x.example", roles=("admin",))) is None


def test_a_permit_marks_the_link_for_one_use() -> None:
    doc = on(links={})
    doc["permits"] = {"bob": 1060.0}
    verdict = evaluate(compile_rules(doc), 1, said("https://x.example"), History(), now=1000.0)
    assert verdict is not None and verdict.permit == "bob:1060.0"
    late = evaluate(compile_rules(doc), 1, said("https://x.example"), History(), now=1061.0)
    assert late is not None and late.permit is None


def test_escalation_starts_at_the_filters_action() -> None:
    rules = compile_rules(None)
    steps = [escalate(rules, "warn", n) for n in range(1, 6)]
    assert [(s.action, s.duration) for s in steps] == [
        ("warn", None),
        ("delete", None),
        ("timeout", 10),
        ("timeout", 600),
        ("timeout", 600),
    ]
    assert (escalate(rules, "delete", 2).action, escalate(rules, "delete", 2).duration) == ("timeout", 10)
    custom = compile_rules({"escalation": {"timeouts": [60]}})
    assert escalate(custom, "timeout", 3).duration == 60


async def check_strikes(redis: Any, key_prefix: str) -> None:
    strikes, other_replica = Strikes(redis, key_prefix), Strikes(redis, key_prefix)
    assert [await strikes.offence(1, "bob", 60) for _ in range(2)] == [1, 2]
    assert await strikes.offence(1, "amy", 60) == 1
    if redis is not None:
        assert await other_replica.offence(1, "bob", 60) == 3  # shared by every router replica
    assert await strikes.once("permit:1:bob:1", 60) is True
    assert await strikes.once("permit:1:bob:1", 60) is False


async def test_strikes_and_one_use_marks_in_process(key_prefix: str) -> None:
    await check_strikes(None, key_prefix)


async def test_strikes_and_one_use_marks_in_redis(redis_client: Any, key_prefix: str) -> None:
    await check_strikes(redis_client, key_prefix)


async def test_patterns_are_checked_statically_and_by_a_timed_trial() -> None:
    for risky in (r"(a+)+$", r"(\w*)*", r"(x|xy)*z", r"(a)\1", "[unclosed", "x" * 201):
        with pytest.raises(ValueError):
            await check_pattern(risky, timeout=0.5)
    with pytest.raises(ValueError, match="backtracking"):
        await check_pattern(r"\w*\w*\w*\w*\w*x", timeout=0.3)
    await check_pattern(r"b[a4]d\s?w[o0]rd", timeout=2.0)
