"""The `!quote` chat commands: parse the arguments, call the service, answer in plain text.

Answers are built from fixed strings and stored values only; user text is inserted
as a value, never used as a template. Every answer fits one message of the platform
it goes to (`flask_core.message_limits`).
"""

from __future__ import annotations

import re

from flask_core.errors import ValidationFailed
from flask_core.events import CommandRequest, Event, Role, highest_role, role_at_least
from flask_core.message_limits import ELLIPSIS, fit, message_limit, shorten
from flask_core.module import Responses, chat
from flask_core.resources import Resources

from . import service
from .models import Creator, Quote
from .service import InvalidQuote, NumberRange, QuotePage

MODERATOR: Role = "moderator"
#: Each subcommand's usage line and default role (the manifest is built from these).
USAGES = {
    "quote": "!quote [number]",
    "quote search": "!quote search <words>",
    "quote add": "!quote add <text> [- author]",
    "quote edit": "!quote edit <number> <text> [- author]",
    "quote remove": "!quote remove <number>",
}
ROLES: dict[str, Role] = {"quote add": MODERATOR, "quote edit": MODERATOR, "quote remove": MODERATOR}
ALIASES = {"quote remove": ["quote delete", "quote del", "quote rm"]}
NO_MATCH = "No quote matches that search."
SEARCH_SHOWN = 5
AUTHOR_SEPARATOR = " - "
_NUMBER = re.compile(r"#?([0-9]{1,9})", re.ASCII)
_COMMUNITY = re.compile(r"[0-9]{1,18}", re.ASCII)
#: A quote's text is cut before its author and date are.
MIN_QUOTE_SHOWN = 60


def community_of(request: CommandRequest) -> int:
    """The community id of a command request (a string of an integer, §4.3)."""
    if not _COMMUNITY.fullmatch(request.community_id):
        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(request.community_id)


def may_use(request: CommandRequest, path: str) -> bool:
    """Whether the caller's role allows `path` by default (communities may change roles)."""
    return role_at_least(highest_role(request.event.user.roles), ROLES.get(path, "everyone"))


def usage(request: CommandRequest, *paths: str) -> str:
    """`Usage: …` with the given subcommands, or every one the caller may use."""
    lines = [USAGES[p] for p in (paths or tuple(USAGES)) if may_use(request, p)]
    return "Usage: " + " | ".join(lines)


def answer(request: CommandRequest, text: str) -> Responses:
    """One chat message that fits the platform the request came from."""
    return chat(fit(text, request.event.platform))


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


def broadcaster_of(event: Event) -> str:
    """Who a quote without " - author" is credited to: the channel's broadcaster.

    The Twitch collector sends the name as `metadata.broadcaster_name`; when the
    broadcaster adds the quote themselves their own name is used. Otherwise the quote
    stays without an author rather than being credited to the moderator who typed it.
    """
    name = event.metadata.get("broadcaster_name")
    if isinstance(name, str) and name.strip():
        return name
    if "broadcaster" in event.user.roles:
        return event.user.display_name.strip() or event.user.username
    return ""


def format_quote(quote: Quote, max_len: int = 500) -> str:
    """`Quote #12: "text" — author [game] (2026-11-22)` in at most `max_len` characters.

    Unknown parts are left out; a long quote's text is cut (on a word, with "…") before
    its author, game and date are.
    """
    tail = []
    if quote.author:
        tail.append(f"— {quote.author}")
    if quote.game:
        tail.append(f"[{quote.game}]")
    tail.append(f"({quote.created_at:%Y-%m-%d})")
    head = f"Quote #{quote.number}: "
    rest = " " + " ".join(tail)
    room = max(MIN_QUOTE_SHOWN, max_len - len(head) - len(rest) - 2)
    text = shorten(quote.text, room) if len(quote.text) > room else quote.text
    return shorten(f'{head}"{text}"{rest}', max_len)


def format_matches(page: QuotePage, max_len: int = 500) -> str:
    """The first match in full, then how many matched and their numbers."""
    more = ""
    if page.total > 1:
        numbers = ", ".join(f"#{quote.number}" for quote in page.items)
        rest = f", {ELLIPSIS}" if page.total > len(page.items) else ""
        more = f" ({page.total} matches: {numbers}{rest})"
    return format_quote(page.items[0], max_len - len(more)) + more


def missing_text(number: int, numbers: NumberRange) -> str:
    """`No quote #999.` and which numbers exist."""
    if numbers.count == 0:
        return f"No quote #{number}: there are no quotes yet."
    if numbers.lowest == numbers.highest:
        return f"No quote #{number}. The only one is #{numbers.lowest}."
    return f"No quote #{number}. There are {numbers.count}, numbered #{numbers.lowest} to #{numbers.highest}."


def empty_text(request: CommandRequest) -> str:
    if may_use(request, "quote add"):
        return "No quotes yet. Add one with !quote add <text> [- author]."
    return "No quotes yet. Moderators can add them."


def _show_lookup(request: CommandRequest) -> service.Lookup | None:
    """What `!quote [number]` asks for; None when the arguments are not a number."""
    community_id = community_of(request)
    if not request.args:
        return community_id, None
    number = parse_number(request.args[0])
    if number is None or len(request.args) > 1:
        return None
    return community_id, number


async def _show_answer(
    res: Resources, request: CommandRequest, lookup: service.Lookup | None, quote: Quote | None
) -> Responses:
    if lookup is None:
        return answer(request, usage(request))
    if quote is not None:
        return chat(format_quote(quote, message_limit(request.event.platform)))
    community_id, number = lookup
    if number is None:
        return answer(request, empty_text(request))
    return answer(request, missing_text(number, await service.number_range(res.db, community_id)))


async def show(res: Resources, request: CommandRequest) -> Responses:
    """`!quote` (random) or `!quote <number>`."""
    return (await show_many(res, [request]))[0]


async def show_many(res: Resources, requests: list[CommandRequest]) -> list[Responses]:
    """Many `!quote [number]` at once (the batch path): one database unit of work."""
    lookups = [_show_lookup(r) for r in requests]
    wanted = [lookup for lookup in lookups if lookup is not None]
    found = iter(await service.lookup_quotes(res.db, res.cache, wanted))
    return [
        await _show_answer(res, request, lookup, next(found) if lookup is not None else None)
        for request, lookup in zip(requests, lookups, strict=True)
    ]


async def add(res: Resources, request: CommandRequest) -> Responses:
    """`!quote add <text> [- author]`; the author defaults to the channel's broadcaster."""
    community_id = community_of(request)
    text, author = split_author(service.clean(request.args_text))
    if not text:
        return answer(request, usage(request, "quote add"))
    user = request.event.user
    creator = Creator(request.event.platform, user.platform_user_id, user.username)
    try:
        draft = service.make_draft(
            text, author or broadcaster_of(request.event), game_of(request.event), creator
        )
    except InvalidQuote as exc:
        return answer(request, exc.message)
    quote = await service.add_quote(res.db, res.cache, community_id, draft)
    credit = f" (credited to {quote.author})" if quote.author and not author else ""
    return answer(request, f"Quote #{quote.number} added{credit}.")


async def edit(res: Resources, request: CommandRequest) -> Responses:
    """`!quote edit <number> <text> [- author]`: new text; the author changes only when given."""
    community_id = community_of(request)
    number = parse_number(request.args[0]) if request.args else None
    rest = request.args_text.split(None, 1)[1] if len(request.args_text.split(None, 1)) == 2 else ""
    text, author = split_author(service.clean(rest))
    if number is None or not text:
        return answer(request, usage(request, "quote edit"))
    try:
        edited = await service.edit_quote(res.db, res.cache, community_id, number, text, author or None)
    except InvalidQuote as exc:
        return answer(request, exc.message)
    if edited is None:
        return answer(request, missing_text(number, await service.number_range(res.db, community_id)))
    return answer(request, f"Quote #{number} edited.")


async def search(res: Resources, request: CommandRequest) -> Responses:
    """`!quote search <words>`: every word must match, case-insensitively."""
    community_id = community_of(request)
    if not service.search_words(request.args_text):
        return answer(request, usage(request, "quote search"))
    page = await service.find_quotes(
        res.db, community_id, request.args_text, limit=SEARCH_SHOWN, newest_first=False
    )
    if not page.items:
        return answer(request, NO_MATCH)
    return chat(format_matches(page, message_limit(request.event.platform)))


async def remove(res: Resources, request: CommandRequest) -> Responses:
    """`!quote remove <number>` (or delete, del, rm); the number is never given to another quote."""
    community_id = community_of(request)
    number = parse_number(request.args[0]) if len(request.args) == 1 else None
    if number is None:
        return answer(request, usage(request, "quote remove"))
    user = request.event.user
    removed_by = f"{request.event.platform}:{user.platform_user_id}"
    removed = await service.remove_quote(res.db, res.cache, community_id, number, removed_by)
    if removed:
        return answer(request, f"Quote #{number} removed.")
    return answer(request, missing_text(number, await service.number_range(res.db, community_id)))
