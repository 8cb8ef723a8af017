"""`waddlebot discord register-commands [--guild ID] [--community ID] [--modules a,b]`.

Registers one slash command per top-level command name, each with an optional string
option `args` (`/quote args:add hello` → `!quote add hello`), by bulk overwrite:
`PUT {DISCORD_API_URL}/applications/{id}/commands`, or `/applications/{id}/guilds/{guild}/
commands` with `--guild` (instant, for testing a server). Bot token auth.

Where the names come from:
- `--community ID`: the router's table for that community
  (`GET /router/api/v1/communities/{id}/commands`), enabled commands only: exactly what
  that community can run.
- otherwise: the router's built-in commands plus the manifests of `--modules` (default
  DEFAULT_MODULES, which every new community starts with), read from each module's
  `GET /<prefix>/api/v1/manifest`. The router has no endpoint that lists the modules
  enabled across all Discord communities yet; when it has, the default becomes that union.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from flask_core.collector import cli_settings, missing_settings, run_command
from flask_core.errors import DependencyUnavailable
from flask_core.events import Manifest
from flask_core.http import HttpClient

from .rest import DiscordApi
from .settings import DiscordSettings

STRING_OPTION, CHAT_INPUT, GUILD_CONTEXT, GUILD_INSTALL = 3, 1, 0, 0
_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
Out = Callable[[str], None]


class CommandSourceError(Exception):
    """The router or a module could not be read."""


async def _get(http: HttpClient, target: str, path: str) -> Any:
    try:
        response = await http.for_service("discord").call(target, "GET", path, timeout=5.0, retries=1)
    except DependencyUnavailable as exc:
        raise CommandSourceError(f"{target} is unavailable: {exc.message}") from None
    if response.status_code != 200:
        raise CommandSourceError(f"GET {path} answered {response.status_code}")
    return response.json()


async def collect(http: HttpClient, community: int | None, modules: list[str]) -> list[dict[str, str]]:
    """Command paths with their descriptions, from the router or the manifests."""
    if community is not None:
        body = await _get(http, "router", f"/router/api/v1/communities/{community}/commands")
        return [
            {
                "path": str(c["path"]),
                "description": str(c.get("description") or ""),
                "usage": str(c.get("usage") or ""),
            }
            for c in body.get("commands", [])
            if c.get("enabled", True)
        ]
    found: list[dict[str, str]] = []
    for prefix in ["router", *modules]:
        manifest = Manifest.model_validate(await _get(http, prefix, f"/{prefix}/api/v1/manifest"))
        found.extend(
            {"path": c.path, "description": c.description, "usage": c.usage} for c in manifest.commands
        )
    return found


def slash_commands(commands: list[dict[str, str]]) -> list[dict[str, Any]]:
    """One CHAT_INPUT command per top-level name, each with the optional `args` option."""
    tops: dict[str, dict[str, str]] = {}
    for command in sorted(commands, key=lambda c: c["path"]):
        name = command["path"].split()[0]
        if _NAME.match(name):
            tops.setdefault(name, command)  # sorted: the top-level command itself comes first
    return [_slash_command(name, command) for name, command in sorted(tops.items())]


def _slash_command(name: str, command: dict[str, str]) -> dict[str, Any]:
    hint = f"What follows !{name} in chat"
    if command["usage"]:
        hint += f": {command['usage']}"
    args = {"type": STRING_OPTION, "name": "args", "description": hint[:100], "required": False}
    return {
        "name": name,
        "type": CHAT_INPUT,
        "description": (command["description"] or f"WaddleBot !{name}")[:100],
        "options": [args],
        "contexts": [GUILD_CONTEXT],
        "integration_types": [GUILD_INSTALL],
    }


async def register_commands(
    settings: DiscordSettings,
    *,
    guild: str | None = None,
    community: int | None = None,
    modules: list[str] | None = None,
    out: Out = print,
) -> int:
    """Register the slash commands; 0 on success, 1 on failure, 2 for missing settings."""
    if missing_settings("discord", settings, ("discord_application_id", "discord_bot_token"), out):
        return 2
    http = HttpClient(settings, service="waddlebot")
    try:
        commands = slash_commands(await collect(http, community, modules or list(settings.default_modules)))
        api = DiscordApi(http, settings)
        registered = await api.put_commands(settings.discord_application_id or "", commands, guild)
    except CommandSourceError as exc:
        out(f"discord: cannot read the commands: {exc}")
        return 1
    finally:
        await http.aclose()
    where = f"guild {guild}" if guild else "globally"
    out(f"registered {len(registered)} command(s) {where}: {', '.join(c['name'] for c in commands)}")
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = cli_settings(DiscordSettings)
    if settings is None:
        return 2
    modules = [m.strip() for m in args.modules.split(",") if m.strip()] if args.modules else None
    command = register_commands(settings, guild=args.guild, community=args.community, modules=modules)
    return run_command("discord", command)  # SendRejected, DependencyUnavailable: one line


def register(subparsers: Any) -> None:
    """Add `discord register-commands` to the `waddlebot` command's subparsers."""
    discord = subparsers.add_parser("discord", help="manage the Discord application")
    sub = discord.add_subparsers(dest="discord_command", required=True)
    reg = sub.add_parser("register-commands", help="register slash commands from the enabled modules")
    reg.add_argument("--guild", help="register for this guild only (instant) instead of globally")
    reg.add_argument("--community", type=int, help="use this community's enabled commands (router)")
    reg.add_argument("--modules", help="comma-separated modules (default: DEFAULT_MODULES)")
    reg.set_defaults(func=_run)
