"""What a streamer and viewers see from !quote: fitting answers, credits, refusals, help."""

from __future__ import annotations

from typing import Any

from flask_core.message_limits import ELLIPSIS
from waddlebot_memories import commands, service
from waddlebot_memories.manifest import MANIFEST


def text_of(responses: list[dict[str, Any]]) -> str:
    assert len(responses) == 1 and responses[0]["type"] == "chat"
    text: str = responses[0]["text"]
    return text


def long_quote() -> str:
    words = ("waddle " * 80).strip()[:399].rstrip()
    return words + "x" * (399 - len(words))


async def test_a_399_character_quote_with_a_100_character_author_fits_twitch(
    res: Any, make_request: Any
) -> None:
    text, author = long_quote(), "A" * 100
    assert len(text) == 399
    mod = ["moderator"]
    request = make_request("quote add", f"{text} - {author}", roles=mod, metadata={"game": "G" * 200})
    added = await commands.add(res, request)
    assert text_of(added) == "Quote #1 added."
    shown = text_of(await commands.show(res, make_request("quote", "1")))
    assert len(shown) <= 500
    assert shown.startswith('Quote #1: "waddle waddle')
    assert f'{ELLIPSIS}" — {author} [' in shown  # the text is cut on a word; author and date stay
    assert shown.endswith(")") and "waddle" + ELLIPSIS in shown
    found = text_of(await commands.search(res, make_request("quote search", "waddle")))
    assert len(found) <= 500
    on_discord = text_of(await commands.show(res, make_request("quote", "1", platform="discord")))
    assert text in on_discord  # 2000 characters: nothing to cut


async def test_quote_add_with_only_an_author_is_refused(res: Any, make_request: Any) -> None:
    for args in ("- Nobody", "-", " -  Nobody "):
        refused = text_of(await commands.add(res, make_request("quote add", args, roles=["moderator"])))
        assert refused in ("A quote needs some text.", "Usage: !quote add <text> [- author]"), args
    assert (await service.find_quotes(res.db, 1)).total == 0


async def test_quote_edit_changes_text_and_keeps_the_author(res: Any, make_request: Any) -> None:
    mod = {"roles": ["moderator"]}
    await commands.add(res, make_request("quote add", "helo wrold - Waddles", **mod))
    edited = await commands.edit(res, make_request("quote edit", "1 hello world", **mod))
    assert text_of(edited) == "Quote #1 edited."
    quote = await service.get_quote(res.db, 1, 1)
    assert quote is not None and (quote.text, quote.author) == ("hello world", "Waddles")
    await commands.edit(res, make_request("quote edit", "#1 hello there - Kid", **mod))
    quote = await service.get_quote(res.db, 1, 1)
    assert quote is not None and (quote.text, quote.author) == ("hello there", "Kid")
    found = text_of(await commands.search(res, make_request("quote search", "kid")))
    assert found.startswith('Quote #1: "hello there"')
    missing = text_of(await commands.edit(res, make_request("quote edit", "5 nope", **mod)))
    assert missing == "No quote #5. The only one is #1."
    usage = text_of(await commands.edit(res, make_request("quote edit", "1", **mod)))
    assert usage == "Usage: !quote edit <number> <text> [- author]"


async def test_usage_lists_the_subcommands_the_caller_may_use(res: Any, make_request: Any) -> None:
    viewer = text_of(await commands.show(res, make_request("quote", "what is this")))
    assert viewer == "Usage: !quote [number] | !quote search <words>"
    moderator = text_of(await commands.show(res, make_request("quote", "huh", roles=["moderator"])))
    assert "!quote remove <number>" in moderator and "!quote edit" in moderator
    assert "!quote add <text> [- author]" in moderator


def test_remove_has_delete_del_and_rm_aliases_with_the_same_role() -> None:
    remove = next(c for c in MANIFEST.commands if c.path == "quote remove")
    assert remove.aliases == ["quote delete", "quote del", "quote rm"]
    assert remove.role == "moderator"
    assert MANIFEST.description.startswith("Quotes")
