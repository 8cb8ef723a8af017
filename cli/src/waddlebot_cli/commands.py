"""`waddlebot commands set <platform>:<server_id> <command path> [...]`: per-community settings.

Calls the router's internal API (`PATCH /router/api/v1/communities/{id}/commands/{path}`)
with a service token from `cli`, after looking the community up by its platform server.
Durations are like `5s`, `2m` or `0` (no cooldown); `default` goes back to the default.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import quote

from flask_core.events import ROLE_ORDER
from flask_core.settings import parse_duration

from .client import CliError, CliSettings, MissingSecret, RouterClient, describe

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


def set_command(client: RouterClient, community: str, path: str, values: dict[str, Any]) -> str:
    platform, server_id = split_community(community)
    found = client.call(
        "GET", f"/router/api/v1/communities/by-platform/{platform}/{quote(server_id, safe='')}"
    )
    if found.status == 404:
        raise CliError(
            f"{community} has no community yet: it is created by its first chat message "
            f"(try: waddlebot chat --platform {platform} --server {server_id} '!help')"
        )
    if found.status != 200:
        raise CliError(describe(found))
    community_id = found.body["community_id"]
    url_path = "/".join(quote(word, safe="") for word in path.split())
    answer = client.call("PATCH", f"/router/api/v1/communities/{community_id}/commands/{url_path}", values)
    if answer.status != 200:
        raise CliError(describe(answer))
    shown = ", ".join(f"{k}={_shown(k, v)}" for k, v in values.items())
    return f"!{answer.body['path']} in {community}: {shown}"


def _shown(field: str, value: Any) -> str:
    if value is None:
        return "default"
    if field.endswith("cooldown"):
        return f"{value:g}s"
    return str(value).lower() if isinstance(value, bool) else str(value)


def run(args: argparse.Namespace, settings: CliSettings) -> int:
    try:
        values = changes(args)
        line = set_command(RouterClient(settings, args.url), args.community, " ".join(args.path), values)
    except MissingSecret as exc:
        print(f"waddlebot commands: {exc}", file=sys.stderr)
        return 2
    except (CliError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(line)
    return 0
