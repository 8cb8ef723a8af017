"""The `waddlebot` command.

Imports stay inside the verbs: `waddlebot chat` must not load the web server, and the
verbs that installed services add (`waddlebot.commands` entry points) are only loaded
when one of them, or the help, is asked for. A built-in verb builds only its own
subparser, so `waddlebot serve <prefix>` (one per fleet process) loads none of the other
verbs' modules (decision 0087).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask_core.settings import CoreSettings

BUILTIN = (
    "run", "migrate", "chat", "commands", "keys", "outbox", "serve", "fleet", "proxy", "deploy", "users",
)  # fmt: skip


def _settings() -> CoreSettings:
    from pydantic import ValidationError

    from flask_core.settings import CoreSettings

    try:
        return CoreSettings()
    except ValidationError as exc:
        messages = "; ".join(str(err.get("msg", err)) for err in exc.errors())
        print(f"waddlebot: invalid settings: {messages}", file=sys.stderr)
        raise SystemExit(2) from None


def _only(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _dev_default() -> None:
    from flask_core.settings import set_default_env

    set_default_env(env="dev")


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from flask_core.logging import configure_from

    from .runner import PortInUse, serve_forever, stopped

    _dev_default()
    settings = _settings()
    configure_from(settings)
    try:
        asyncio.run(serve_forever(settings, _only(args.services)))
    except PortInUse as exc:
        print(f"waddlebot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before the server installed its own handler
        stopped()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    import asyncio

    from .runner import migrate_all

    settings = _settings()
    tables = asyncio.run(migrate_all(settings, _only(args.services)))
    print(f"migrated {len(tables)} tables: {', '.join(sorted(tables))}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from . import chat
    from .client import CliSettings

    return chat.run(args, CliSettings())  # reads the server's secrets, never creates them


def cmd_commands(args: argparse.Namespace) -> int:
    from . import commands
    from .client import CliSettings

    return commands.run(args, CliSettings())


#: The built-in verbs with a module of their own (`register(sub)`), in help order.
_VERB_MODULES = ("chat", "commands", "outbox", "keys", "users", "serve", "fleet", "proxy", "deploy")
_MAIN_DEFAULTS = {"chat": cmd_chat, "commands": cmd_commands}


def _verb_module(verb: str) -> ModuleType:
    """The module of one built-in verb, imported only when that verb is wanted."""
    match verb:
        case "chat":
            from . import chat

            return chat
        case "commands":
            from . import commands

            return commands
        case "outbox":
            from . import outbox

            return outbox
        case "keys":
            from . import keys

            return keys
        case "users":
            from . import users

            return users
        case "serve":
            from . import serve

            return serve
        case "fleet":
            from . import fleet

            return fleet
        case "proxy":
            from . import proxy

            return proxy
        case "deploy":
            from . import deploy

            return deploy
        case _:
            raise KeyError(verb)


def build_parser(plugins: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (`only`, a built-in verb) just that verb's subparser."""
    parser = argparse.ArgumentParser(prog="waddlebot", description="WaddleBot fleet tools")
    sub = parser.add_subparsers(dest="command", required=True)
    if only in (None, "run"):
        run = sub.add_parser("run", help="run every installed service in one process")
        run.add_argument("--services", help="comma-separated prefixes (default: all installed)")
        run.set_defaults(func=cmd_run)
    if only in (None, "migrate"):
        mig = sub.add_parser("migrate", help="create or update the database tables")
        mig.add_argument("--services", help="comma-separated prefixes (default: all installed)")
        mig.set_defaults(func=cmd_migrate)
    for verb in _VERB_MODULES:
        if only in (None, verb):
            _verb_module(verb).register(sub)
            if verb in _MAIN_DEFAULTS:
                sub.choices[verb].set_defaults(func=_MAIN_DEFAULTS[verb])
    if plugins:
        from .services import service_commands

        for register in service_commands():
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    builtin = bool(argv) and argv[0] in BUILTIN
    args = build_parser(plugins=not builtin, only=argv[0] if builtin else None).parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
