"""The `waddlebot` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from flask_core.logging import configure_logging
from flask_core.settings import CoreSettings, set_default_env

from .chat import register as chat_register
from .outbox import register as outbox_register
from .services import service_commands


def _settings() -> CoreSettings:
    try:
        return CoreSettings()
    except ValidationError as exc:
        messages = "; ".join(str(err.get("msg", err)) for err in exc.errors())
        print(f"waddlebot: invalid settings: {messages}", file=sys.stderr)
        raise SystemExit(2) from None


def _only(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def cmd_run(args: argparse.Namespace) -> int:
    from .runner import serve_forever

    set_default_env(env="dev")
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    asyncio.run(serve_forever(settings, _only(args.services)))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from .runner import migrate_all

    settings = _settings()
    tables = asyncio.run(migrate_all(settings, _only(args.services)))
    print(f"migrated {len(tables)} tables: {', '.join(sorted(tables))}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from .chat import ChatSettings, run

    # Not CoreSettings: in ENV=dev that would generate the server's secrets into DATA_DIR.
    return run(args, ChatSettings())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="waddlebot", description="WaddleBot fleet tools")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run every installed service in one process")
    run.add_argument("--services", help="comma-separated prefixes (default: all installed)")
    run.set_defaults(func=cmd_run)
    mig = sub.add_parser("migrate", help="create or update the database tables")
    mig.add_argument("--services", help="comma-separated prefixes (default: all installed)")
    mig.set_defaults(func=cmd_migrate)
    chat_register(sub)
    outbox_register(sub)
    sub.choices["chat"].set_defaults(func=cmd_chat)
    for register in service_commands():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
