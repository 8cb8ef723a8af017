"""The `!quote` chat commands: parse the arguments, call the service, answer in plain text.

Answers are built from fixed strings and stored values only; user text is inserted
as a value, never used as a template.
"""

from __future__ import annotations

import re

from flask_core.errors import ValidationFailed
from flask_core.events import CommandRequest, Event
from flask_core.module import Responses, chat
from flask_core.resources import Resources

from . import service
from .models import Creator, Quote
from .service import InvalidQuote, QuotePage

USAGE = "Usage: !quote [number] | !quote add <text> [- author] | !quote search <words>"
ADD_USAGE = "Usage: !quote add <text> [- author]"
SEARCH_USAGE = "Usage: !quote search <words>"
REMOVE_USAGE = "Usage: !quote remove <number>"
EMPTY = "No quotes yet. Add one with !quote add <text>."
NO_MATCH = "No quote matches that search."
SEARCH_SHOWN = 5
AUTHOR_SEPARATOR = " - "
_NUMBER = re.compile(r"#?([0-9]{1,9})", re.ASCII)
_COMMUNITY = re.compile(r"[0-9]{1,18}", re.ASCII)


def community_of(request: CommandRequest) -> int:
    """The community id of a command request (a string of an integer, §4.3)."""
    if not _COMMUNITY.fullmatch(request.community_id):
        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(request.community_id)


def parse_number(arg: str) -> int | None:
    """`12` or `#12` → 12; anything else (0, -1, 1e3, unicode digits) → None."""
    match = _NUMBER.fullmatch(arg)
    number = int(match.group(1)) if match else 0
    return number if number > 0 else None


def split_author(args_text: str) -> tuple[str, str]:
    """`text - author` → (text, author), split at the last " - "; no author → ""."""
    text, separator, author = args_text.strip().rpartition(AUTHOR_SEPARATOR)
    if not separator or not text.strip() or not author.strip():
        return args_text.strip(), ""
    return text.strip(), author.strip()


def game_of(event: Event) -> str:
    """The game (or stream category) the platform reported with the event, if any."""
    game = event.metadata.get("game")
    return game if isinstance(game, str) else ""


def format_quote(quote: Quote) -> str:
    """`Quote #12: "text" — author [game] (2026-11-22)`, leaving out what is unknown."""
    parts = [f'Quote #{quote.number}: "{quote.text}"']
    if quote.author:
        parts.append(f"— {quote.author}")
    if quote.game:
        parts.append(f"[{quote.game}]")
    parts.append(f"({quote.created_at:%Y-%m-%d})")
    return " ".join(parts)


def format_matches(page: QuotePage) -> str:
    """The first match in full, then how many matched and their numbers."""
    text = format_quote(page.items[0])
    if page.total > 1:
        numbers = ", ".join(f"#{quote.number}" for quote in page.items)
        more = ", …" if page.total > len(page.items) else ""
        text += f" ({page.total} matches: {numbers}{more})"
    return text


def _show_lookup(request: CommandRequest) -> service.Lookup | None:
    """What `!quote [number]` asks for; None when the arguments are not a number."""
    community_id = community_of(request)
    if not request.args:
        return community_id, None
    number = parse_number(request.args[0])
    if number is None or len(request.args) > 1:
        return None
    return community_id, number


def _show_answer(lookup: service.Lookup | None, quote: Quote | None) -> Responses:
    if lookup is None:
        return chat(USAGE)
    if quote is not None:
        return chat(format_quote(quote))
    return chat(EMPTY if lookup[1] is None else f"No quote #{lookup[1]}.")


async def show(res: Resources, request: CommandRequest) -> Responses:
    """`!quote` (random) or `!quote <number>`."""
    return (await show_many(res, [request]))[0]


async def show_many(res: Resources, requests: list[CommandRequest]) -> list[Responses]:
    """Many `!quote [number]` at once (the batch path): one database unit of work."""
    lookups = [_show_lookup(r) for r in requests]
    wanted = [lookup for lookup in lookups if lookup is not None]
    found = iter(await service.lookup_quotes(res.db, wanted))
    return [_show_answer(lookup, next(found) if lookup is not None else None) for lookup in lookups]


async def add(res: Resources, request: CommandRequest) -> Responses:
    """`!quote add <text> [- author]`; the author defaults to whoever adds it."""
    community_id = community_of(request)
    text, author = split_author(service.clean(request.args_text))
    if not text:
        return chat(ADD_USAGE)
    user = request.event.user
    creator = Creator(request.event.platform, user.platform_user_id, user.username)
    author = author or user.display_name.strip() or user.username
    try:
        draft = service.make_draft(text, author, game_of(request.event), creator)
    except InvalidQuote as exc:
        return chat(exc.message)
    quote = await service.add_quote(res.db, community_id, draft)
    return chat(f"Quote #{quote.number} added.")


async def search(res: Resources, request: CommandRequest) -> Responses:
    """`!quote search <words>`: every word must match, case-insensitively."""
    community_id = community_of(request)
    if not service.search_words(request.args_text):
        return chat(SEARCH_USAGE)
    page = await service.find_quotes(
        res.db, community_id, request.args_text, limit=SEARCH_SHOWN, newest_first=False
    )
    return chat(format_matches(page) if page.items else NO_MATCH)


async def remove(res: Resources, request: CommandRequest) -> Responses:
    """`!quote remove <number>`; the number is never given to another quote."""
    community_id = community_of(request)
    number = parse_number(request.args[0]) if len(request.args) == 1 else None
    if number is None:
        return chat(REMOVE_USAGE)
    user = request.event.user
    removed_by = f"{request.event.platform}:{user.platform_user_id}"
    removed = await service.remove_quote(res.db, community_id, number, removed_by)
    return chat(f"Quote #{number} removed." if removed else f"No quote #{number}.")
