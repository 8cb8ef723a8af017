"""Alias domain logic: no Quart here; the database handle is passed in.

An alias is a name (data, not a manifest command: ARCHITECTURE §12) and a template.
A template starting with `!` expands to that command; any other text is a custom
command that answers with it. Loops cannot happen: a new alias whose chain of `!…`
targets reaches itself, or is longer than MAX_DEPTH, is refused when it is created (the
router also stops at MAX_DEPTH). Every change invalidates the router's cached read of
the community's aliases (`cache_key`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import (
    AsyncDAL,
    CommandRequest,
    Conflict,
    Event,
    NotFound,
    Resources,
    Responses,
    ValidationFailed,
    chat,
    expand,
    get_logger,
    is_integrity_error,
)
from flask_core.events import ROLE_ORDER
from flask_core.message_limits import fit
from flask_core.module import once
from flask_core.settings import parse_duration
from flask_core.templates import STANDARD_FUNCTIONS, standard_values, uses

from .settings import AliasSettings

log = get_logger(__name__)
MAX_DEPTH = 5  # expansion steps, here and in the router (§4.2)
NAME = re.compile(r"^[a-z0-9_]{1,32}$")
RESERVED = frozenset({"alias", "help", "commands", "modules"})
ROLES = tuple(r for r in ROLE_ORDER if r != "admin")  # admin comes only from the portal


def cache_key(community_id: int) -> str:
    """The router's cached read of a community's aliases (waddlebot_router.aliases)."""
    return f"alias:table:{community_id}"


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    body: str
    role: str
    cooldown: float | None
    uses: int

    @property
    def target(self) -> str | None:
        """The command an alias of a command runs (`!so $(1)` → `so`), else None."""
        return target_of(self.body)


def target_of(body: str) -> str | None:
    if not body.startswith("!"):
        return None
    word = body[1:].split(maxsplit=1)
    return word[0].lower() if word else ""


def _alias(row: Any) -> Alias:
    cooldown = None if row.cooldown is None else float(row.cooldown)
    return Alias(str(row.name), str(row.body), str(row.role), cooldown, int(row.uses or 0))


# --- storage -------------------------------------------------------------------------------


async def list_aliases(db: AsyncDAL, community_id: int) -> list[Alias]:
    def select(d: Any) -> list[Alias]:
        t = d.aliases
        return [_alias(r) for r in d(t.community_id == community_id).select(orderby=t.name)]

    found: list[Alias] = await db.read(select)
    return found


async def get_alias(db: AsyncDAL, community_id: int, name: str) -> Alias | None:
    def select(d: Any) -> Alias | None:
        t = d.aliases
        row = d((t.community_id == community_id) & (t.name == name)).select(limitby=(0, 1)).first()
        return _alias(row) if row else None

    found: Alias | None = await db.read(select)
    return found


def check_name(raw: str) -> str:
    name = raw.removeprefix("!").lower()
    if not NAME.match(name):
        raise ValidationFailed("an alias name is 1-32 letters, digits or _", details={"field": "name"})
    if name in RESERVED:
        raise ValidationFailed(f"!{name} cannot be an alias", details={"field": "name"})
    return name


def check_body(name: str, body: str, max_length: int) -> str:
    body = body.strip()
    if not body:
        raise ValidationFailed("an alias needs a text", details={"field": "text"})
    if len(body) > max_length:
        raise ValidationFailed(f"an alias text is at most {max_length} characters", details={"field": "text"})
    target = target_of(body)
    if target is not None and not NAME.match(target):
        raise ValidationFailed(
            "an alias of a command names it literally: !name args…", details={"field": "text"}
        )
    if target == name:
        raise ValidationFailed(f"!{name} cannot expand to itself", details={"field": "text"})
    return body


def _chain_problem(d: Any, community_id: int, name: str, target: str | None) -> str | None:
    """Why `name` with this target cannot be added (a loop, a chain too long), or None.

    The longest chain through `name` counts: the aliases that lead to it, itself, and
    the aliases its target leads to; at most MAX_DEPTH expansions in all.
    """
    t = d.aliases
    rows = d(t.community_id == community_id).select(t.name, t.body)
    targets = {str(r.name): target_of(str(r.body)) for r in rows if str(r.name) != name}
    depth_down, current = 0, target
    while (current is not None and current in targets) or current == name:
        if current == name:
            return f"!{name} would expand back to itself (a loop)"
        depth_down += 1
        if depth_down > MAX_DEPTH:
            break
        current = targets[current]

    def depth_up(node: str, seen: frozenset[str]) -> int:
        callers = [n for n, tgt in targets.items() if tgt == node and n not in seen]
        return max((1 + depth_up(c, seen | {c}) for c in callers), default=0)

    if depth_up(name, frozenset({name})) + 1 + depth_down > MAX_DEPTH:
        return f"!{name} would nest more than {MAX_DEPTH} aliases"
    return None


async def add_alias(
    db: AsyncDAL,
    community_id: int,
    name: str,
    body: str,
    *,
    role: str = "everyone",
    cooldown: float | None = None,
    created_by: str = "",
    settings: AliasSettings | None = None,
) -> Alias:
    """Store a new alias (one unit of work); Conflict when the name exists or would loop."""
    limits = settings or AliasSettings.model_construct()
    name = check_name(name)
    body = check_body(name, body, limits.alias_max_length)
    if role not in ROLES:
        raise ValidationFailed(f"role is one of {', '.join(ROLES)}", details={"field": "role"})

    def insert(d: Any) -> Alias:
        t = d.aliases
        if d((t.community_id == community_id) & (t.name == name)).count():
            raise Conflict(f"!{name} exists already; remove it first", details={"name": name})
        if d(t.community_id == community_id).count() >= limits.alias_max_per_community:
            raise Conflict("this community has as many aliases as it may", details={"name": name})
        problem = _chain_problem(d, community_id, name, target_of(body))
        if problem is not None:
            raise Conflict(problem, details={"name": name})
        now = datetime.now(UTC).replace(tzinfo=None)
        t.insert(community_id=community_id, name=name, body=body, role=role, cooldown=cooldown,
                 uses=0, created_by=created_by[:100], created_at=now)  # fmt: skip
        return Alias(name, body, role, cooldown, 0)

    try:
        alias = await db.run(insert)
    except Exception as exc:
        if not is_integrity_error(exc):
            raise
        raise Conflict(f"!{name} exists already; remove it first", details={"name": name}) from exc
    log.info("alias.added", community_id=community_id, name=name, role=role)
    return alias


async def remove_alias(db: AsyncDAL, community_id: int, name: str) -> bool:
    def delete(d: Any) -> bool:
        t = d.aliases
        return bool(d((t.community_id == community_id) & (t.name == name)).delete())

    removed: bool = await db.run(delete)
    if removed:
        log.info("alias.removed", community_id=community_id, name=name)
    return removed


async def count_use(db: AsyncDAL, community_id: int, name: str) -> int:
    """One more use, atomically (`uses = uses + 1` in the database); the new count."""

    def bump(d: Any) -> int:
        t = d.aliases
        query = (t.community_id == community_id) & (t.name == name)
        if not d(query).update(uses=t.uses + 1):
            raise NotFound("no such alias", details={"name": name})
        row = d(query).select(t.uses, limitby=(0, 1)).first()  # our own row, locked until commit
        return int(row.uses)

    count: int = await db.run(bump)
    return count


# --- expansion -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expansion:
    name: str
    kind: str  # "command" (re-resolved by the router) or "text" (the answer)
    text: str
    count: int | None


def _who(event: Event) -> str:
    return event.user.display_name or event.user.username


async def expand_alias(
    res: Resources,
    community_id: int,
    name: str,
    event: Event,
    args: list[str],
    args_text: str,
    invocation_id: str,
) -> Expansion:
    """The alias's text with this use's values, once per invocation (a repeat counts once)."""
    alias = await get_alias(res.db, community_id, name)
    if alias is None:
        raise NotFound("no such alias", details={"name": name})

    async def run() -> Responses:
        count = await count_use(res.db, community_id, name) if uses(alias.body, "count") else None
        channel = str(event.metadata.get("broadcaster_name") or event.channel_id)
        values = standard_values(
            user=_who(event), args=args, args_text=args_text, channel=channel,
            platform=event.platform, count=count,
        )  # fmt: skip
        text = expand(alias.body, values, STANDARD_FUNCTIONS)
        return [{"type": "chat", "text": text, "count": count}]

    [answer] = await once(res, "alias", f"expand:{invocation_id}", run)
    kind = "command" if alias.target is not None else "text"
    return Expansion(name, kind, str(answer["text"]), answer.get("count"))


# --- chat commands ---------------------------------------------------------------------------


def _community(request: CommandRequest) -> int:
    if not request.community_id.isdigit():
        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(request.community_id)


def _take_word(text: str) -> tuple[str, str]:
    parts = text.strip().split(maxsplit=1)
    return (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")


def parse_add(args_text: str) -> tuple[str, str, str, float | None]:
    """`[--role R] [--cooldown D] <name> <text>` → (name, text, role, cooldown)."""
    role, cooldown = "everyone", None
    rest = args_text
    while True:
        word, after = _take_word(rest)
        if word not in ("--role", "--cooldown"):
            break
        value, rest = _take_word(after)
        if word == "--role":
            role = value.lower()
        else:
            try:
                cooldown = parse_duration(value)
            except ValueError as exc:
                raise ValidationFailed(
                    "a cooldown looks like 30s, 2m or 0", details={"field": "cooldown"}
                ) from exc
    name, body = _take_word(rest)
    return name, body, role, cooldown


def _usage(text: str) -> Responses:
    return chat(text)


async def add_command(res: Resources, request: CommandRequest) -> Responses:
    """`!alias add [--role R] [--cooldown D] <name> <text>`."""
    name, body, role, cooldown = parse_add(request.args_text)
    if not name or not body:
        return _usage("Usage: !alias add [--role moderator] [--cooldown 30s] <name> <text or !command>")
    community_id = _community(request)
    settings = res.settings if isinstance(res.settings, AliasSettings) else None
    try:
        alias = await add_alias(
            res.db, community_id, name, body, role=role, cooldown=cooldown,
            created_by=request.event.user.username, settings=settings,
        )  # fmt: skip
    except (ValidationFailed, Conflict) as exc:
        return chat(f"@{request.event.user.username}, {exc.message}.")
    await res.cache.invalidate(cache_key(community_id))
    return chat(f"Alias !{alias.name} added.")


async def remove_command(res: Resources, request: CommandRequest) -> Responses:
    """`!alias remove <name>`."""
    if not request.args:
        return _usage("Usage: !alias remove <name>")
    community_id = _community(request)
    name = request.args[0].removeprefix("!").lower()
    if not await remove_alias(res.db, community_id, name):
        return chat(f"There is no alias !{name}.")
    await res.cache.invalidate(cache_key(community_id))
    return chat(f"Alias !{name} removed.")


async def list_command(res: Resources, request: CommandRequest) -> Responses:
    """`!alias list`: every alias name, as many as fit one message."""
    aliases = await list_aliases(res.db, _community(request))
    if not aliases:
        return chat("No aliases yet. Add one: !alias add <name> <text>")
    names = ", ".join(f"!{a.name}" for a in aliases)
    return chat(fit(f"Aliases: {names}", request.event.platform))


async def show_command(res: Resources, request: CommandRequest) -> Responses:
    """`!alias show <name>`: the text as typed, its role and cooldown."""
    if not request.args:
        return _usage("Usage: !alias show <name>")
    name = request.args[0].removeprefix("!").lower()
    alias = await get_alias(res.db, _community(request), name)
    if alias is None:
        return chat(f"There is no alias !{name}.")
    extras = [f"role {alias.role}", f"used {alias.uses}x"]
    if alias.cooldown is not None:
        extras.append(f"cooldown {alias.cooldown:g}s")
    return chat(fit(f"!{alias.name} → {alias.body} ({', '.join(extras)})", request.event.platform))
