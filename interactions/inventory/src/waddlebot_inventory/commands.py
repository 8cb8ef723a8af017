"""`!inv` from chat: the community's stock, who holds what, checkouts and overdue notices.

    !inv add <item> [qty] [--label l]    moderator; --label asks the labels service
    !inv take <item> [qty]               moderator
    !inv give @user <item> [qty]         moderator: from the stock to the user
    !inv list [@user] [--label l]        everyone: the stock, or a user's items
    !inv search <q>                      everyone
    !inv checkout <item> @user [hours]   moderator: lends one; announced in chat once overdue
    !inv checkin <item> [@user]          moderator
    !inv overdue                         moderator

Users are `<platform>:<login>` (case-folded). The handlers check the caller's role too,
not only the router. Names and texts from chat are values in the answers, never templates.
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime, timedelta

from flask_core import CommandRequest, DependencyUnavailable, Resources, Responses, ValidationFailed, chat
from flask_core.events import Role, highest_role, role_at_least
from flask_core.logging import get_logger
from flask_core.message_limits import fit

from . import service
from .labels_client import LabelRefused, items_with_label, label_item
from .service import Refused, Where
from .settings import InventorySettings

log = get_logger(__name__)
USAGES = {
    "inv add": "!inv add <item> [qty] [--label l]",
    "inv take": "!inv take <item> [qty]",
    "inv give": "!inv give @user <item> [qty]",
    "inv list": "!inv list [@user] [--label l]",
    "inv search": "!inv search <q>",
    "inv checkout": "!inv checkout <item> @user [hours]",
    "inv checkin": "!inv checkin <item> [@user]",
    "inv overdue": "!inv overdue",
}
ROLES: dict[str, Role] = {path: "moderator" for path in USAGES}
ROLES.update({"inv list": "everyone", "inv search": "everyone"})
MAX_PER_COMMAND = 1_000_000
SHOWN = 10
_COMMUNITY = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)
_USER = re.compile(r"@([A-Za-z0-9_][A-Za-z0-9_.-]{0,99})", re.ASCII)
_QTY = re.compile(r"[1-9][0-9]{0,6}", re.ASCII)
_HOURS = re.compile(r"[0-9]{1,4}(?:\.[0-9]{1,2})?", re.ASCII)


class Usage(ValueError):
    pass


def community_of(request: CommandRequest) -> int:
    if not _COMMUNITY.fullmatch(request.community_id):
        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(request.community_id)


def answer(request: CommandRequest, text: str) -> Responses:
    return chat(fit(text, request.event.platform))


def is_moderator(request: CommandRequest) -> bool:
    return role_at_least(highest_role(request.event.user.roles), "moderator")


def user_key(request: CommandRequest, login: str) -> str:
    return f"{request.event.platform}:{login.casefold()}"


def actor(request: CommandRequest) -> str:
    return user_key(request, request.event.user.username)


def words_of(text: str) -> list[str]:
    """Chat words; `"two words"` is one (unbalanced quotes: plain words)."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _option(words: list[str], name: str) -> tuple[list[str], str | None]:
    """Take `--name value` out of the words."""
    if name not in words:
        return words, None
    at = words.index(name)
    if at + 1 >= len(words):
        raise Usage(name)
    return words[:at] + words[at + 2 :], words[at + 1]


def _item_and_qty(words: list[str]) -> tuple[str, int]:
    """`rope 3` → ("rope", 3); `rope` → ("rope", 1)."""
    if len(words) >= 2 and _QTY.fullmatch(words[-1]):
        return " ".join(words[:-1]), int(words[-1])
    if words and words[-1].lstrip("-").isdigit():
        raise Usage("qty")
    return " ".join(words), 1


def _settings(res: Resources) -> InventorySettings:
    s = res.settings
    return s if isinstance(s, InventorySettings) else InventorySettings()


def _moderators_only(request: CommandRequest, path: str) -> Responses | None:
    if is_moderator(request):
        return None
    return answer(request, f"Only moderators can use !{path}.")


def _stock(item: service.Item) -> str:
    return f"{item.name} x{item.qty}"


def _due(when: datetime) -> str:
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


async def add(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    if (refused := _moderators_only(request, "inv add")) is not None:
        return refused
    try:
        words, label = _option(words_of(request.args_text), "--label")
        name, qty = _item_and_qty(words)
        change = await service.add(res.db, community_id, name, qty, actor(request))
    except (Usage, Refused) as exc:
        return answer(request, str(exc) if isinstance(exc, Refused) else "Usage: " + USAGES["inv add"])
    text = f"Added {qty} x {change.item.name} (stock: {change.stock_after})."
    if label is not None:
        try:
            await label_item(res, _settings(res), community_id, change.item.id, label)
            text += f" Labelled {' '.join(label.split())}."
        except LabelRefused as exc:
            text += f" Not labelled: {exc}"
        except DependencyUnavailable:
            text += " The label could not be set right now."
    return answer(request, text)


async def take(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    if (refused := _moderators_only(request, "inv take")) is not None:
        return refused
    try:
        name, qty = _item_and_qty(words_of(request.args_text))
        change = await service.take(res.db, community_id, name, qty, actor(request))
    except (Usage, Refused) as exc:
        return answer(request, str(exc) if isinstance(exc, Refused) else "Usage: " + USAGES["inv take"])
    return answer(request, f"Took {qty} x {change.item.name} (stock: {change.stock_after}).")


async def give(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    if (refused := _moderators_only(request, "inv give")) is not None:
        return refused
    words = words_of(request.args_text)
    match = _USER.fullmatch(words[0]) if words else None
    try:
        if match is None:
            raise Usage("user")
        name, qty = _item_and_qty(words[1:])
        login = match.group(1)
        change = await service.give(
            res.db, community_id, name, qty, actor(request), user_key(request, login), login
        )
    except (Usage, Refused) as exc:
        return answer(request, str(exc) if isinstance(exc, Refused) else "Usage: " + USAGES["inv give"])
    return answer(
        request,
        f"Gave {qty} x {change.item.name} to @{login} (they have {change.held_after}; "
        f"stock: {change.stock_after}).",
    )


async def list_items(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    try:
        words, label = _option(words_of(request.args_text), "--label")
    except Usage:
        return answer(request, "Usage: " + USAGES["inv list"])
    if words:
        match = _USER.fullmatch(words[0])
        if match is None or len(words) > 1:
            return answer(request, "Usage: " + USAGES["inv list"])
        login = match.group(1)
        held, more = await service.holdings(
            res.db, community_id, holder=user_key(request, login), limit=SHOWN
        )
        loans, _ = await service.checkouts(res.db, community_id, holder=user_key(request, login), limit=SHOWN)
        if not held and not loans:
            return answer(request, f"@{login} has no items.")
        parts = [f"{h.item_name} x{h.qty}" for h in held]
        parts += [f"{c.item_name} (borrowed, due {_due(c.due_at)})" for c in loans]
        return answer(request, f"@{login} has: " + ", ".join(parts) + (" …" if more else ""))
    ids = None
    if label is not None:
        try:
            ids = await items_with_label(res, _settings(res), community_id, label)
        except DependencyUnavailable:
            return answer(request, "Labels cannot be looked up right now; try again in a moment.")
    found, more = await service.items(res.db, community_id, in_stock=True, limit=SHOWN, ids=ids)
    if not found:
        which = f" labelled {' '.join(label.split())}" if label is not None else ""
        return answer(request, f"Nothing{which} in stock.")
    return answer(request, "Stock: " + ", ".join(_stock(i) for i in found) + (" …" if more else ""))


async def search(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    q = " ".join(request.args_text.split())
    if not q:
        return answer(request, "Usage: " + USAGES["inv search"])
    found, more = await service.items(res.db, community_id, q=q, limit=SHOWN)
    if not found:
        return answer(request, "No item matches that search.")
    return answer(request, "Found: " + ", ".join(_stock(i) for i in found) + (" …" if more else ""))


async def checkout(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    if (refused := _moderators_only(request, "inv checkout")) is not None:
        return refused
    if request.event.platform == "web":
        return answer(
            request, "Checkouts need a chat for their overdue notice: use Twitch, Discord or Slack."
        )
    words = words_of(request.args_text)
    at = next((i for i, w in enumerate(words) if _USER.fullmatch(w)), None)
    settings = _settings(res)
    hours = settings.inventory_checkout_hours
    if at is None or at == 0 or len(words) > at + 2:
        return answer(request, "Usage: " + USAGES["inv checkout"])
    if len(words) == at + 2:
        if (
            not _HOURS.fullmatch(words[at + 1])
            or not 0 < float(words[at + 1]) <= settings.inventory_max_checkout_hours
        ):
            return answer(
                request, f"Say the hours as a number up to {settings.inventory_max_checkout_hours:g}."
            )
        hours = float(words[at + 1])
    login = _USER.fullmatch(words[at]).group(1)  # type: ignore[union-attr]
    due = (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)
    where = Where(request.event.platform, request.event.server_id, request.event.channel_id)
    try:
        _, loan = await service.checkout(
            res.db,
            community_id,
            " ".join(words[:at]),
            actor(request),
            user_key(request, login),
            login,
            due,
            where,
        )
    except Refused as exc:
        return answer(request, str(exc))
    return answer(
        request, f"{loan.item_name} checked out to @{login} until {_due(loan.due_at)} (#{loan.id})."
    )


async def checkin(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    if (refused := _moderators_only(request, "inv checkin")) is not None:
        return refused
    words = words_of(request.args_text)
    holder = None
    if words and (match := _USER.fullmatch(words[-1])) is not None:
        holder, words = user_key(request, match.group(1)), words[:-1]
    if not words:
        return answer(request, "Usage: " + USAGES["inv checkin"])
    try:
        change, loan = await service.checkin(res.db, community_id, " ".join(words), actor(request), holder)
    except Refused as exc:
        return answer(request, str(exc))
    late = " (it was overdue)" if loan.returned_at and loan.returned_at >= loan.due_at else ""
    return answer(
        request, f"{loan.item_name} returned by @{loan.holder_name}{late} (stock: {change.stock_after})."
    )


async def overdue(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    if (refused := _moderators_only(request, "inv overdue")) is not None:
        return refused
    late, more = await service.checkouts(res.db, community_id, overdue_at=datetime.now(UTC), limit=SHOWN)
    if not late:
        return answer(request, "Nothing is overdue.")
    parts = [f"{c.item_name} — @{c.holder_name} (due {_due(c.due_at)})" for c in late]
    return answer(request, "Overdue: " + " | ".join(parts) + (" …" if more else ""))
