"""Aliases in the router: resolved after module commands, before `ignored` (§4.2, §12).

Alias names are data of the alias service, not manifest commands. The router keeps a
cached read of `GET /alias/api/v1/communities/{id}/aliases` per community (in the
shared cache, local layer included; the alias service invalidates the same key when an
alias changes) and runs an alias by calling `POST …/aliases/{name}:expand`. An alias is
a command: its role, cooldown and cost are checked like any other (`Router.permit`).
An alias of a command is resolved again, and the target is checked against the caller's
role, so an alias never grants more than the caller has; after MAX_DEPTH expansions it
stops with a short message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask_core.errors import DependencyUnavailable
from flask_core.events import role_rank
from flask_core.logging import get_logger
from flask_core.message_limits import fit

from . import dispatch
from .communities import load_config
from .parsing import Match, Parsed, longest_match, parse
from .registry import ROUTER, CommandSpec

if TYPE_CHECKING:
    from .service import Router, Work

log = get_logger(__name__)
ALIAS = "alias"
MAX_DEPTH = 5


def cache_key(community_id: int) -> str:
    """Shared with the alias service (waddlebot_alias.service.cache_key), which invalidates it."""
    return f"alias:table:{community_id}"


class _Unreadable(Exception):
    """The alias service answered something other than the table: nothing is cached."""


async def table(router: Router, community_id: int) -> dict[str, dict[str, Any]]:
    """name → {role, cooldown} of the community's aliases; empty when alias is off or down."""
    config = await load_config(router.res, community_id, router.settings.router_table_ttl)
    if ALIAS not in config["modules"]:
        return {}

    async def load() -> dict[str, dict[str, Any]]:
        response = await router.res.http.for_service(ROUTER).call(
            ALIAS, "GET", f"/alias/api/v1/communities/{community_id}/aliases",
            timeout=router.settings.router_manifest_timeout, retries=0,
        )  # fmt: skip
        if response.status_code != 200:
            raise _Unreadable(str(response.status_code))
        items = response.json().get("items") or []
        return {str(i["name"]): {"role": i["role"], "cooldown": i.get("cooldown")} for i in items}

    try:
        found: dict[str, dict[str, Any]] = await router.res.cache.get_or_set(
            cache_key(community_id), load, ttl=router.settings.router_table_ttl, local=True
        )
    except (DependencyUnavailable, _Unreadable, ValueError, KeyError) as exc:
        log.warning("router.aliases_unavailable", community_id=community_id, error=str(exc)[:200])
        return {}
    return found


async def match(router: Router, community_id: int, parsed: Parsed) -> Match[CommandSpec] | None:
    """The alias `parsed` names, as a command spec of its own (role, cooldown), or None."""
    aliases = await table(router, community_id)
    found = longest_match(parsed, {name: name for name in aliases})
    if found is None:
        return None
    entry = aliases[found.path]
    spec = CommandSpec(
        module=ALIAS, path=found.path, role=entry["role"], global_cooldown=entry["cooldown"], alias=True
    )
    return Match(found.path, spec, found.args, found.args_text)


def _allowed(work: Work, spec: CommandSpec) -> bool:
    have = max((role_rank(r) for r in work.event.user.roles), default=0)
    return have >= role_rank(spec.role)


async def _expand(router: Router, work: Work, alias: Match[CommandSpec], step: int) -> dict[str, Any] | None:
    body = {
        "event": work.event.model_dump(mode="json"),
        "args": alias.args,
        "args_text": alias.args_text,
        "invocation_id": f"{work.invocation_id}:{step}",  # one count per step of this event
    }
    path = f"/alias/api/v1/communities/{work.community_id}/aliases/{quote(alias.path, safe='')}:expand"
    answer = await dispatch.post(router.res, router.settings, router.bulkheads, ALIAS, path, body)
    if answer is None or answer[0] != 200 or not isinstance(answer[1], dict):
        return None
    return answer[1]


def _say(work: Work, text: str) -> None:
    platform = work.event.platform
    work.finish(
        "processed", [{"type": "chat", "text": fit(text, platform)}], invocation_id=work.invocation_id
    )


async def run(router: Router, work: Work) -> None:
    """Expand the alias of `work.match` (and the aliases it names) and run what it names."""
    assert work.match is not None
    first = alias = work.match
    for step in range(1, MAX_DEPTH + 1):
        expansion = await _expand(router, work, alias, step)
        if expansion is None:
            work.finish("processed", [dispatch.unavailable(ALIAS)], invocation_id=work.invocation_id)
            return
        text = str(expansion.get("text", ""))
        parsed = parse(text) if expansion.get("kind") == "command" else None
        if parsed is None:
            _say(work, text)  # a custom command answers with its text
            return
        work.event = work.event.model_copy(update={"text": text})
        target = longest_match(parsed, await router.table(work.community_id))
        if target is not None and target.spec.enabled:
            if not _allowed(work, target.spec):
                text = f"@{work.event.user.username}, !{target.spec.path} needs {target.spec.role} or higher."
                work.finish("rejected", [{"type": "error", "code": "forbidden", "text": text}])
                return
            work.match = target
            await router.run_command(work)  # a module's command, or a router built-in
            return
        nested = await match(router, work.community_id, parsed)
        if nested is None:
            _say(work, f"!{first.path}: !{parsed.tokens[0].lower()} is not a command here.")
            return
        if not _allowed(work, nested.spec):
            text = f"@{work.event.user.username}, !{nested.spec.path} needs {nested.spec.role} or higher."
            work.finish("rejected", [{"type": "error", "code": "forbidden", "text": text}])
            return
        alias = nested
    _say(work, f"!{first.path}: stopped after {MAX_DEPTH} nested aliases.")
