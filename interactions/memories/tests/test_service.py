"""The quotes logic without HTTP: numbering, search, removal and the chat answers."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from flask_core.testing import started, wait_until
from waddlebot_memories import commands, service
from waddlebot_memories.models import Creator, Quote
from waddlebot_memories.service import InvalidQuote

AMY = Creator("twitch", "u1", "amy")
DATE = re.compile(r"\(\d{4}-\d{2}-\d{2}\)$")


def text_of(responses: list[dict[str, Any]]) -> str:
    assert len(responses) == 1 and responses[0]["type"] == "chat"
    return str(responses[0]["text"])


async def add(res: Any, text: str, community_id: int = 1, author: str = "bob") -> Quote:
    draft = service.make_draft(text, author, "", AMY)
    return await service.add_quote(res.db, res.cache, community_id, draft)


# --- pure logic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args_text", "text", "author"),
    [
        ("a - b - c", "a - b", "c"),
        ("hello world - me", "hello world", "me"),
        ("no author here", "no author here", ""),
        ("well-known fact", "well-known fact", ""),
        ("trailing dash -", "trailing dash -", ""),
        ("- only author", "- only author", ""),
        ("  spaced   -  out  ", "spaced", "out"),
    ],
    ids=["last-dash", "simple", "none", "hyphen", "trailing", "leading", "strip"],
)
def test_author_is_the_text_after_the_last_dash(args_text: str, text: str, author: str) -> None:
    assert commands.split_author(args_text) == (text, author)


@pytest.mark.parametrize(
    ("arg", "number"),
    [
        ("12", 12),
        ("#7", 7),
        ("0", None),
        ("-1", None),
        ("1e3", None),
        ("١٢", None),
        ("x", None),
        ("1234567890", None),
    ],
    ids=["plain", "hash", "zero", "negative", "float", "arabic-digits", "word", "too-big"],
)
def test_quote_numbers_are_plain_positive_integers(arg: str, number: int | None) -> None:
    assert commands.parse_number(arg) == number


def test_text_is_cleaned_of_controls_and_surrounding_quotes() -> None:
    draft = service.make_draft('  "hi\x00 there\nfriend"  ', " bob\t", "Zelda\r\n", AMY)
    assert (draft.text, draft.author, draft.game) == ("hi there friend", "bob", "Zelda")


def test_too_long_or_empty_text_is_refused() -> None:
    with pytest.raises(InvalidQuote, match="too long"):
        service.make_draft("x" * 401, "bob", "", AMY)
    assert service.make_draft("x" * 400, "bob", "", AMY).text == "x" * 400
    with pytest.raises(InvalidQuote, match="needs some text"):
        service.make_draft(" \x00 ", "bob", "", AMY)


def test_a_quote_is_shown_with_author_game_and_date() -> None:
    when = datetime(2026, 11, 22, 20, 5, tzinfo=UTC)
    quote = Quote(1, 12, "text", "author", "Zelda", when, AMY)
    assert commands.format_quote(quote) == 'Quote #12: "text" — author [Zelda] (2026-11-22)'
    bare = Quote(1, 3, "hi", "", "", when, AMY)
    assert commands.format_quote(bare) == 'Quote #3: "hi" (2026-11-22)'


# --- storage (embedded SQLite and fleet PostgreSQL) ----------------------------------------


async def test_quotes_are_numbered_per_community(res: Any) -> None:
    assert [(await add(res, t)).number for t in ("one", "two", "three")] == [1, 2, 3]
    assert (await add(res, "elsewhere", community_id=2)).number == 1
    shown = await service.get_quote(res.db, 1, 2)
    assert shown is not None and (shown.text, shown.author) == ("two", "bob")
    assert shown.created_at.tzinfo is UTC
    assert await service.get_quote(res.db, 2, 2) is None


async def test_removed_numbers_are_never_reused(res: Any) -> None:
    for text in ("one", "two", "three"):
        await add(res, text)
    assert await service.remove_quote(res.db, res.cache, 1, 3, "twitch:u1")
    assert not await service.remove_quote(res.db, res.cache, 1, 3, "twitch:u1")
    assert await service.get_quote(res.db, 1, 3) is None
    assert (await add(res, "four")).number == 4


async def test_concurrent_adds_get_distinct_numbers(res: Any) -> None:
    conflicts = service.NUMBER_CONFLICTS.labels(service.SERVICE)
    before = conflicts._value.get()
    quotes = await asyncio.gather(*(add(res, f"quote {i}") for i in range(20)))
    assert sorted(q.number for q in quotes) == list(range(1, 21))
    assert conflicts._value.get() == before  # the adds took turns instead of colliding
    page = await service.find_quotes(res.db, 1, limit=100)
    assert page.total == 20


async def test_random_quote_comes_from_the_community(res: Any) -> None:
    assert await service.lookup_quotes(res.db, res.cache, [(1, None)]) == [None]
    await add(res, "only here", community_id=1)
    await add(res, "not this", community_id=2)
    for _ in range(5):
        [quote] = await service.lookup_quotes(res.db, res.cache, [(1, None)])
        assert quote is not None and quote.text == "only here"


async def test_a_batch_of_random_lookups_reads_once_per_community(res: Any) -> None:
    """k random `!quote`s of one community in a batch get k distinct quotes of it (one query
    per community), repeats only when it has fewer; numbered lookups keep their place."""
    for i in range(5):
        await add(res, f"c1 quote {i}", community_id=1)
    await add(res, "the only one", community_id=2)
    lookups: list[service.Lookup] = [(1, None), (2, None), (1, None), (1, 2), (2, None), (1, None), (3, None)]
    found = await service.lookup_quotes(res.db, res.cache, lookups)
    assert [q.community_id if q else None for q in found] == [1, 2, 1, 1, 2, 1, None]
    randoms_of_1 = [found[i] for i in (0, 2, 5)]
    assert len({q.number for q in randoms_of_1 if q}) == 3  # distinct while there are enough
    assert found[3] is not None and found[3].number == 2 and found[3].text == "c1 quote 1"
    assert [q.text for q in (found[1], found[4]) if q] == ["the only one"] * 2
    many = await service.lookup_quotes(res.db, res.cache, [(1, None)] * 12)  # more asks than quotes
    assert {q.text for q in many if q} <= {f"c1 quote {i}" for i in range(5)} and all(many)


@pytest.mark.parametrize("pool_max", [service.POOL_MAX, 2], ids=["pool", "database"])
async def test_chat_lookups_see_every_write_at_once(
    res: Any, monkeypatch: pytest.MonkeyPatch, pool_max: int
) -> None:
    """Whether the community's quotes are answered from its cached pool or (more than
    POOL_MAX) from the database, an add, an edit or a removal shows in the next lookup."""
    monkeypatch.setattr(service, "POOL_MAX", pool_max)
    for text in ("one", "two", "three"):
        await add(res, text)
    assert {q.text for q in await service.lookup_quotes(res.db, res.cache, [(1, None)] * 3) if q} == {
        "one",
        "two",
        "three",
    }
    await add(res, "four")
    [four] = await service.lookup_quotes(res.db, res.cache, [(1, 4)])
    assert four is not None and four.text == "four" and four.created_at.tzinfo is UTC
    assert await service.edit_quote(res.db, res.cache, 1, 2, "two, edited")
    [two] = await service.lookup_quotes(res.db, res.cache, [(1, 2)])
    assert two is not None and (two.text, two.author, two.created_by) == ("two, edited", "bob", AMY)
    assert await service.remove_quote(res.db, res.cache, 1, 1, "twitch:u1")
    found = await service.lookup_quotes(res.db, res.cache, [(1, 1)] + [(1, None)] * 20)
    assert found[0] is None
    assert {q.number for q in found[1:] if q} == {2, 3, 4}


async def test_a_small_communitys_lookups_read_the_database_once(
    res: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        await add(res, f"quote {i}")
    reads: list[str] = []
    original = res.db.read

    async def counted(fn: Any, *args: Any) -> Any:
        reads.append(fn.__name__)
        return await original(fn, *args)

    monkeypatch.setattr(res.db, "read", counted)
    for _ in range(5):
        assert all(await service.lookup_quotes(res.db, res.cache, [(1, None), (1, 2), (1, None)]))
    assert reads == ["_pool_rows"]  # the first lookup filled the pool; the rest read none
    await add(res, "quote 3")
    [added] = await service.lookup_quotes(res.db, res.cache, [(1, 4)])
    assert added is not None and added.text == "quote 3"
    assert reads == ["_pool_rows", "_pool_rows"]


async def test_another_replicas_removal_reaches_its_pool(
    app: Any, res: Any, make_settings: Any, backend: dict[str, Any]
) -> None:
    """Two memories replicas on one database and Redis: what one removes, the other never
    shows again once the invalidation reached it (its cached pool is dropped)."""
    if "redis_url" not in backend:
        pytest.skip("the embedded backend runs one memories instance in one process")
    from waddlebot_memories.app import create_app
    from waddlebot_memories.settings import MemoriesSettings

    other = create_app(make_settings(MemoriesSettings, **backend))
    async with started(other, settings=other.extensions["waddlebot.settings"]) as replica:
        for text in ("keep", "remove me"):
            await add(res, text)
        assert len(await service.lookup_quotes(replica.db, replica.cache, [(1, None)] * 2)) == 2
        assert await service.remove_quote(res.db, res.cache, 1, 2, "twitch:u1")

        async def only_kept() -> bool:
            found = await service.lookup_quotes(replica.db, replica.cache, [(1, None)] * 5 + [(1, 2)])
            return [q.text if q else None for q in found] == ["keep"] * 5 + [None]

        await wait_until(only_kept, within=2.0)


async def test_search_needs_every_word_in_any_case(res: Any) -> None:
    await add(res, "The Cake is a LIE", author="GLaDOS")
    await add(res, "cake for everyone")
    await add(res, "Straße ÉTÉ", author="hans")
    page = await service.find_quotes(res.db, 1, "cake glados", newest_first=False)
    assert [q.number for q in page.items] == [1] and page.total == 1
    assert (await service.find_quotes(res.db, 1, "CAKE")).total == 2
    assert [q.number for q in (await service.find_quotes(res.db, 1, "strasse été")).items] == [3]
    assert (await service.find_quotes(res.db, 1, "cake pie")).total == 0


async def test_search_treats_like_wildcards_literally(res: Any) -> None:
    await add(res, "100% sure")
    await add(res, "plain words")
    assert [q.number for q in (await service.find_quotes(res.db, 1, "%")).items] == [1]
    assert (await service.find_quotes(res.db, 1, "_")).total == 0


async def test_pages_are_newest_first(res: Any) -> None:
    for i in range(5):
        await add(res, f"quote {i}")
    page = await service.find_quotes(res.db, 1, limit=2, offset=1)
    assert ([q.number for q in page.items], page.total) == ([4, 3], 5)


# --- chat commands ------------------------------------------------------------------------


async def test_add_show_search_remove_through_the_commands(res: Any, make_request: Any) -> None:
    async def say(command: str, args_text: str = "", **kw: Any) -> str:
        handler = {
            "quote": commands.show,
            "quote add": commands.add,
            "quote search": commands.search,
            "quote remove": commands.remove,
        }[command]
        return text_of(await handler(res, make_request(command, args_text, **kw)))

    assert await say("quote") == "No quotes yet. Moderators can add them."
    assert (
        await say("quote", roles=["moderator"]) == "No quotes yet. Add one with !quote add <text> [- author]."
    )
    assert await say("quote", "99") == "No quote #99: there are no quotes yet."
    assert await say("quote add", "I like trains - Kid") == "Quote #1 added."
    assert await say("quote add", "trains are great") == "Quote #2 added."
    shown = await say("quote", "1")
    assert shown.startswith('Quote #1: "I like trains" — Kid (') and DATE.search(shown)
    assert (await say("quote", "#2")).startswith('Quote #2: "trains are great" (')  # no broadcaster known
    assert (await say("quote")).startswith("Quote #")
    assert await say("quote", "99") == "No quote #99. There are 2, numbered #1 to #2."
    assert await say("quote", "abc") == "Usage: !quote [number] | !quote search <words>"
    found = await say("quote search", "TRAINS")
    assert found.startswith('Quote #1: "I like trains"') and found.endswith("(2 matches: #1, #2)")
    assert await say("quote search", "planes") == "No quote matches that search."
    assert await say("quote search") == "Usage: !quote search <words>"
    assert await say("quote remove", "1") == "Quote #1 removed."
    assert await say("quote remove", "1") == "No quote #1. The only one is #2."
    assert await say("quote remove", "one", roles=["moderator"]) == "Usage: !quote remove <number>"
    assert await say("quote", "1") == "No quote #1. The only one is #2."
    assert await say("quote add", roles=["moderator"]) == "Usage: !quote add <text> [- author]"


async def test_game_comes_from_the_event_metadata(res: Any, make_request: Any) -> None:
    request = make_request("quote add", "gg - bob", metadata={"game": "Celeste"})
    assert text_of(await commands.add(res, request)) == "Quote #1 added."
    await commands.add(res, make_request("quote add", "no game", metadata={"game": 42}))
    first, second = await service.get_quote(res.db, 1, 1), await service.get_quote(res.db, 1, 2)
    assert first is not None and first.game == "Celeste"
    assert second is not None and second.game == ""
    assert second.created_by == Creator("twitch", "u1", "amy")
    assert "[Celeste]" in text_of(await commands.show(res, make_request("quote", "1")))


async def test_author_defaults_to_the_broadcaster_not_the_moderator(res: Any, make_request: Any) -> None:
    by_mod = make_request(
        "quote add", "hello", roles=["moderator"], metadata={"broadcaster_name": "Streamer"}
    )
    assert text_of(await commands.add(res, by_mod)) == "Quote #1 added (credited to Streamer)."
    own = make_request("quote add", "my words", username="streamer", display_name="", roles=["broadcaster"])
    await commands.add(res, own)
    unknown = make_request("quote add", "who said it", roles=["moderator"])
    await commands.add(res, unknown)
    quotes = [await service.get_quote(res.db, 1, n) for n in (1, 2, 3)]
    assert [q.author for q in quotes if q] == ["Streamer", "streamer", ""]


async def test_too_long_quote_is_refused_and_nothing_stored(res: Any, make_request: Any) -> None:
    answer = text_of(await commands.add(res, make_request("quote add", "x" * 401 + " - bob")))
    assert answer == "That quote is too long (400 characters at most)."
    assert (await service.find_quotes(res.db, 1)).total == 0
