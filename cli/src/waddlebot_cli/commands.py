"""`waddlebot commands set …` and `waddlebot modules enable|disable …`: per-community settings.

They call the owner of those settings (ARCHITECTURE §12, decision 0053): the community
service to find the community of `<platform>:<server_id>`, then the marketplace
(`PATCH /marketplace/api/v1/communities/{id}/commands/{path}`,
`PUT …/communities/{id}/modules/{name}`), each with a service token from `cli` for that
service. A server that runs the router without them answers through the router's
first-wave routes, which forward to the same code. Durations are like `5s`, `2m` or `0`
(no cooldown); `default` goes back to the default.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import quote

from flask_core.events import ROLE_ORDER
from flask_core.settings import parse_duration

from .client import Answer, CliError, CliSettings, MissingSecret, RouterClient, _ours, describe, send

PLATFORMS = ("twitch", "discord", "slack", "web")
DEFAULT = "default"


def register(sub: Any) -> None:
    commands = sub.add_parser("commands", help="change a command's settings for one community")
    verbs = commands.add_subparsers(dest="verb", required=True)
    put = verbs.add_parser("set", help="set role, cooldowns, cost or enabled for one command")
    put.add_argument(
        "community", help="<platform>:<server_id>, e.g. twitch:9001 (each server is a community)"
    )
    put.add_argument("path", nargs="+", help="the command path, e.g. quote or quote add")
    put.add_argument("--role", choices=[*ROLE_ORDER, DEFAULT], help="lowest role that may use it")
    put.add_argument("--cooldown", help="shared cooldown, e.g. 5s, 2m; 0 = none; default = the bot's")
    put.add_argument("--user-cooldown", help="cooldown per user, e.g. 30s; 0 = none")
    put.add_argument("--cost", help="points per use (0 = free)")
    put.add_argument("--enabled", choices=["true", "false", DEFAULT])
    put.add_argument("--url", help="WaddleBot's base URL (default: ROUTER_URL, else http://HOST:PORT)")


def changes(args: argparse.Namespace) -> dict[str, Any]:
    """The PATCH body: only what was given; `default` sends null (back to the default)."""
    values: dict[str, Any] = {}
    for option, field in (("cooldown", "global_cooldown"), ("user_cooldown", "user_cooldown")):
        given = getattr(args, option)
        if given is not None:
            values[field] = None if given == DEFAULT else parse_duration(given)
    if args.role is not None:
        values["role"] = None if args.role == DEFAULT else args.role
    if args.cost is not None:
        values["cost"] = None if args.cost == DEFAULT else int(args.cost)
    if args.enabled is not None:
        values["enabled"] = None if args.enabled == DEFAULT else args.enabled == "true"
    if not values:
        raise CliError("nothing to change: give --role, --cooldown, --user-cooldown, --cost or --enabled")
    return values


def split_community(text: str) -> tuple[str, str]:
    platform, sep, server_id = text.partition(":")
    if not sep or platform not in PLATFORMS or not server_id:
        raise CliError(
            f"expected <platform>:<server_id> with a platform of {', '.join(PLATFORMS)}; got {text!r}"
        )
    return platform, server_id


class OwnerClient(RouterClient):
    """The CLI's client, with the service token minted for the service a path belongs to."""

    def call(self, method: str, path: str, body: Any = None) -> Answer:
        audience = path.split("/")[1] if path.count("/") > 1 else "router"
        return send(self.base, self.secret, self.timeout, method, path, body, audience)


def _missing_route(answer: Answer) -> bool:
    """A 404 of an address that serves nothing (the service is not deployed here)."""
    return answer.status == 404 and not _ours(answer)


def find_community(client: OwnerClient, community: str) -> int:
    """The community id of `<platform>:<server_id>` (the community service owns it)."""
    platform, server_id = split_community(community)
    server = quote(server_id, safe="")
    found = client.call("GET", f"/community/api/v1/communities/by-platform/{platform}/{server}")
    if _missing_route(found):
        found = client.call("GET", f"/router/api/v1/communities/by-platform/{platform}/{server}")
        if _missing_route(found):
            raise CliError(f"{client.base} answered 404: there is no WaddleBot there. Check --url.")
    if found.status == 404:
        raise CliError(
            f"{community} has no community yet: it is created by its first chat message "
            f"(try: waddlebot chat --platform {platform} --server {server_id} '!help')"
        )
    if found.status != 200:
        raise CliError(describe(found))
    return int(found.body["community_id"])


def _to_owner(client: OwnerClient, method: str, tail: str, body: Any) -> Answer:
    """The marketplace's route; the router's first-wave route when no marketplace is here."""
    answer = client.call(method, f"/marketplace/api/v1/{tail}", body)
    if _missing_route(answer):
        answer = client.call(method, f"/router/api/v1/{tail}", body)
    return answer


def set_command(client: OwnerClient, community: str, path: str, values: dict[str, Any]) -> str:
    community_id = find_community(client, community)
    url_path = "/".join(quote(word, safe="") for word in path.split())
    answer = client.call(
        "PATCH", f"/marketplace/api/v1/communities/{community_id}/commands/{url_path}", values
    )
    if _missing_route(answer):
        answer = client.call(
            "PATCH", f"/router/api/v1/communities/{community_id}/commands/{url_path}", values
        )
    if answer.status != 200:
        raise CliError(describe(answer))
    shown = ", ".join(f"{k}={_shown(k, v)}" for k, v in values.items())
    return f"!{answer.body['path']} in {community}: {shown}"


def set_module(client: OwnerClient, community: str, name: str, enabled: bool) -> str:
    community_id = find_community(client, community)
    module = quote(name, safe="")
    answer = client.call(
        "PUT", f"/marketplace/api/v1/communities/{community_id}/modules/{module}", {"enabled": enabled}
    )
    if _missing_route(answer):
        answer = client.call(
            "PUT", f"/router/api/v1/communities/{community_id}/modules/{module}", {"enabled": enabled}
        )
    if answer.status != 200:
        raise CliError(describe(answer))
    also = answer.body.get("disabled") or []
    tail = f" ({', '.join(also)} disabled: same commands)" if also else ""
    return f"{name} {'enabled' if enabled else 'disabled'} in {community}{tail}"


def register_modules(sub: Any) -> None:
    """`waddlebot modules enable|disable <platform>:<server_id> <name>` (the marketplace's
    entry point `waddlebot.commands` adds it where the marketplace is installed)."""
    modules = sub.add_parser("modules", help="turn a module on or off for one community")
    verbs = modules.add_subparsers(dest="verb", required=True)
    for verb in ("enable", "disable"):
        p = verbs.add_parser(verb, help=f"{verb} a module for one community")
        p.add_argument("community", help="<platform>:<server_id>, e.g. twitch:9001")
        p.add_argument("name", help="the module, e.g. memories")
        p.add_argument("--url", help="WaddleBot's base URL (default: ROUTER_URL, else http://HOST:PORT)")
    modules.set_defaults(func=run_modules)


def run_modules(args: argparse.Namespace) -> int:
    try:
        client = OwnerClient(CliSettings(), args.url)
        line = set_module(client, args.community, args.name, args.verb == "enable")
    except MissingSecret as exc:
        print(f"waddlebot modules: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(line)
    return 0


def _shown(field: str, value: Any) -> str:
    if value is None:
        return "default"
    if field.endswith("cooldown"):
        return f"{value:g}s"
    return str(value).lower() if isinstance(value, bool) else str(value)


def run(args: argparse.Namespace, settings: CliSettings) -> int:
    try:
        values = changes(args)
        line = set_command(OwnerClient(settings, args.url), args.community, " ".join(args.path), values)
    except MissingSecret as exc:
        print(f"waddlebot commands: {exc}", file=sys.stderr)
        return 2
    except (CliError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(line)
    return 0
