"""The reputation chat commands: points, gifts, the leaderboard, giveaways.

Amounts are whole positive numbers up to `REPUTATION_MAX_AMOUNT`; anything else is
refused with a clear text. `@user` is looked up on the event's platform through
identity. User text is only ever inserted as a value.
"""

from __future__ import annotations

import re

from flask_core import CommandRequest, Responses, chat
from flask_core.events import Event, Role
from flask_core.message_limits import fit
from flask_core.resources import Resources

from . import service, users
from .accrual import Accrual
from .service import Insufficient
from .settings import ReputationSettings

MODERATOR: Role = "moderator"
USAGES = {
    "points": "!points [@user]",
    "points add": "!points add @user <n>",
    "points remove": "!points remove @user <n>",
    "give": "!give @user <n>",
    "top": "!top [n]",
    "rank": "!rank",
    "giveaway start": "!giveaway start <prize>",
    "join": "!join",
    "giveaway draw": "!giveaway draw [--weighted]",
}
ROLES: dict[str, Role] = {
    "points add": MODERATOR,
    "points remove": MODERATOR,
    "giveaway start": MODERATOR,
    "giveaway draw": MODERATOR,
}
_COMMUNITY = re.compile(r"[0-9]{1,18}", re.ASCII)
_AMOUNT = re.compile(r"[0-9]{1,12}", re.ASCII)
ACCRUAL = "reputation.accrual"


def settings_of(res: Resources) -> ReputationSettings:
    settings = res.settings
    assert isinstance(settings, ReputationSettings)
    return settings


def community_of(request: CommandRequest) -> int:
    if not _COMMUNITY.fullmatch(request.community_id):
        from flask_core import ValidationFailed

        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(request.community_id)


def answer(request: CommandRequest, text: str) -> Responses:
    return chat(fit(text, request.event.platform))


def parse_amount(text: str, maximum: int) -> int | str:
    """The amount, or the text that refuses it."""
    cleaned = text.strip().replace(",", "")
    if cleaned.startswith("-"):
        return "The amount must be positive."
    if not _AMOUNT.fullmatch(cleaned):
        return "The amount must be a whole number of points."
    amount = int(cleaned)
    if amount <= 0:
        return "The amount must be at least 1."
    if amount > maximum:
        return f"The amount can be at most {maximum:,} points."
    return amount


def _plural(n: int) -> str:
    return f"{n:,} point" + ("" if n == 1 else "s")


async def _target(res: Resources, request: CommandRequest, mention: str) -> users.Person | None:
    return await users.lookup(res, request.event.platform, mention)


async def points(res: Resources, request: CommandRequest) -> Responses:
    """`!points` (yours) or `!points @user`."""
    community_id = community_of(request)
    settings = settings_of(res)
    if len(request.args) > 1:
        return answer(request, f"Usage: {USAGES['points']}")
    if request.args:
        who = await _target(res, request, request.args[0])
        if who is None:
            return answer(request, f"I don't know {request.args[0]} on {request.event.platform} yet.")
    else:
        who = await users.caller(res, request, settings.reputation_resolve_ttl)
    balance = await service.get_balance(res.db, community_id, who.user_id)
    return answer(request, f"{who.name} has {_plural(balance)}.")


async def _moderate(res: Resources, request: CommandRequest, path: str) -> Responses:
    community_id = community_of(request)
    settings = settings_of(res)
    if len(request.args) != 2:
        return answer(request, f"Usage: {USAGES[path]}")
    amount = parse_amount(request.args[1], settings.reputation_max_amount)
    if isinstance(amount, str):
        return answer(request, amount)
    who = await _target(res, request, request.args[0])
    if who is None:
        return answer(request, f"I don't know {request.args[0]} on {request.event.platform} yet.")
    ref = f"{request.event.platform}:{request.event.user.platform_user_id}"
    if path == "points add":
        after = await service.add_points(
            res.db, community_id, who.user_id, amount, "moderator_add", ref, who.name
        )
        return answer(request, f"Gave {who.name} {_plural(amount)}; they now have {_plural(after)}.")
    try:
        after = await service.remove_points(
            res.db, community_id, who.user_id, amount, "moderator_remove", ref
        )
    except Insufficient as short:
        return answer(request, f"{who.name} has only {_plural(short.balance)}; nothing was removed.")
    return answer(request, f"Took {_plural(amount)} from {who.name}; they now have {_plural(after)}.")


async def points_add(res: Resources, request: CommandRequest) -> Responses:
    return await _moderate(res, request, "points add")


async def points_remove(res: Resources, request: CommandRequest) -> Responses:
    return await _moderate(res, request, "points remove")


async def give(res: Resources, request: CommandRequest) -> Responses:
    """`!give @user <n>`: move points from you to them, at once or not at all."""
    community_id = community_of(request)
    settings = settings_of(res)
    if len(request.args) != 2:
        return answer(request, f"Usage: {USAGES['give']}")
    amount = parse_amount(request.args[1], settings.reputation_max_amount)
    if isinstance(amount, str):
        return answer(request, amount)
    me = await users.caller(res, request, settings.reputation_resolve_ttl)
    who = await _target(res, request, request.args[0])
    if who is None:
        return answer(request, f"I don't know {request.args[0]} on {request.event.platform} yet.")
    if who.user_id == me.user_id:
        return answer(request, "You cannot give points to yourself.")
    try:
        moved = await service.transfer(
            res.db, community_id, me.user_id, who.user_id, amount, request.invocation_id, (me.name, who.name)
        )
    except Insufficient as short:
        return answer(request, f"You have only {_plural(short.balance)}; nothing was given.")
    return answer(
        request, f"You gave {who.name} {_plural(amount)}. You have {_plural(moved.sender_balance)} left."
    )


async def top(res: Resources, request: CommandRequest) -> Responses:
    """`!top [n]`: the community's leaderboard."""
    community_id = community_of(request)
    most = settings_of(res).reputation_top_max
    count = 5
    if request.args:
        if len(request.args) > 1 or not request.args[0].isdigit() or not 1 <= int(request.args[0]) <= most:
            return answer(request, f"Usage: {USAGES['top']} (n from 1 to {most})")
        count = int(request.args[0])
    ranked = await service.top(res.db, community_id, count)
    if not ranked:
        return answer(request, "Nobody has points yet.")
    listed = " | ".join(f"#{r.rank} {r.name} ({r.balance:,})" for r in ranked)
    return answer(request, f"Top {len(ranked)}: {listed}")


async def rank(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    me = await users.caller(res, request, settings_of(res).reputation_resolve_ttl)
    balance, position, total = await service.rank(res.db, community_id, me.user_id)
    if position == 0:
        return answer(request, f"{me.name}, you have no points yet.")
    return answer(request, f"{me.name}, you are #{position} of {total} with {_plural(balance)}.")


async def giveaway_start(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    prize = " ".join(request.args_text.split())[:200]
    if not prize:
        return answer(request, f"Usage: {USAGES['giveaway start']}")
    started, current = await res.db.run(service.start_giveaway_unit, community_id, prize)
    if not started:
        return answer(request, f"A giveaway is already open ({current}); draw it first.")
    return answer(request, f"Giveaway open: {prize}! Type !join to enter.")


async def join(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    settings = settings_of(res)
    me = await users.caller(res, request, settings.reputation_resolve_ttl)
    outcome = await res.db.run(
        service.join_unit, community_id, me.user_id, me.name, settings.reputation_giveaway_max_entries
    )
    texts = {
        "joined": f"{me.name}, you're in!",
        "again": f"{me.name}, you're already in.",
        "none": "There is no giveaway open right now.",
        "full": "The giveaway is full.",
    }
    return answer(request, texts[outcome])


async def giveaway_draw(res: Resources, request: CommandRequest) -> Responses:
    community_id = community_of(request)
    flags = {a.lower() for a in request.args}
    if flags - {"--weighted"}:
        return answer(request, f"Usage: {USAGES['giveaway draw']}")
    drawn = await res.db.run(service.draw_unit, community_id, "--weighted" in flags)
    if drawn is None:
        return answer(request, "There is no giveaway open right now.")
    if drawn.winner_name is None:
        return answer(request, f"Nobody joined the giveaway for {drawn.prize}; it is closed.")
    how = " (weighted by points)" if "--weighted" in flags else ""
    return answer(
        request, f"The winner of {drawn.prize} is {drawn.winner_name}{how}, out of {drawn.entries} entries!"
    )


# --- subscribed events ------------------------------------------------------------------


async def on_chat(res: Resources, event: Event, community_id: str) -> Responses:
    """Count a chat line for the next flush (no write here)."""
    accrual = res.extras.get(ACCRUAL)
    if isinstance(accrual, Accrual) and _COMMUNITY.fullmatch(community_id):
        accrual.add(int(community_id), event)
    return []


async def on_activity(res: Resources, event: Event, community_id: str) -> Responses:
    """Follow, subscription, gift, cheer, raid: credited at once (they are rare)."""
    from . import weights

    if not _COMMUNITY.fullmatch(community_id):
        return []
    cid = int(community_id)
    earned = weights.points_for(event, await weights.load(res.db, cid))
    if earned <= 0:
        return []
    person = await users.of_event(res, event, settings_of(res).reputation_resolve_ttl)
    await service.add_points(res.db, cid, person.user_id, earned, event.type, event.event_id, person.name)
    return []
