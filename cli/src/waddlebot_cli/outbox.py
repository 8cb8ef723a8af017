"""`waddlebot outbox list [--platform P] [--dead]` and `waddlebot outbox retry <id> | --all`.

Every collector has two outboxes: `<platform>` (events on their way to the router) and
`<platform>.out` (replies on their way to the platform). Entries are named
`<outbox>/<id>` (`twitch.out/1733059200000-0`), so `retry` knows where one lives.
The store is the one the collectors use: the Redis streams with REDIS_URL, else the
`outbox` table in DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the `waddlebot` parser imports this module: keep it light
    from flask_core.outbox import Outbox
    from flask_core.resources import Resources
    from flask_core.settings import CoreSettings

PLATFORMS = ("twitch", "slack", "discord")
Out = Callable[[str], None]


def _outboxes(res: Resources, platform: str | None) -> list[Outbox]:
    from flask_core.delivery import outbound_name
    from flask_core.outbox import open_outbox

    chosen = [platform] if platform else list(PLATFORMS)
    return [open_outbox(res, name) for p in chosen for name in (p, outbound_name(p))]


def _summary(entry: dict[str, Any]) -> str:
    payload = entry.get("payload") or {}
    what = payload.get("event_id") or f"reply {payload.get('invocation_id', '?')}#{payload.get('index', 0)}"
    text = payload.get("text") or " ".join(payload.get("chunks") or [])
    return json.dumps(
        {
            "what": what,
            "attempts": entry.get("attempts", 0),
            "age_s": round(max(0.0, time.time() - float(entry.get("created_at") or time.time()))),
            "last_error": entry.get("last_error"),
            "text": str(text)[:80],
        },
        ensure_ascii=False,
    )


async def list_entries(settings: CoreSettings, platform: str | None, dead: bool, out: Out) -> int:
    """Print one line per entry: `<outbox>/<id> {what, attempts, age_s, last_error, text}`."""
    from flask_core.resources import Resources

    res = await Resources.open(settings)
    try:
        await res.db.migrate()
        total = 0
        for box in _outboxes(res, platform):
            rows = await (box.dead_letters(1000) if dead else box.waiting(1000))
            for row in rows:
                out(f"{box.platform}/{row['id']} {_summary(row)}")
            total += len(rows)
        out(f"{total} {'dead letters' if dead else 'waiting'}")
        return 0
    finally:
        await res.close()


async def retry(settings: CoreSettings, target: str | None, platform: str | None, out: Out) -> int:
    """Move one dead letter (`<outbox>/<id>`) or all of them back into their outbox."""
    from flask_core.outbox import open_outbox
    from flask_core.resources import Resources

    res = await Resources.open(settings)
    try:
        await res.db.migrate()
        if target is not None:
            name, _, entry_id = target.partition("/")
            base = name.removesuffix(".out")
            if base not in PLATFORMS or not entry_id:
                out(f"waddlebot outbox: {target!r} is not <outbox>/<id> (see `waddlebot outbox list --dead`)")
                return 2
            moved = await open_outbox(res, name).replay(entry_id)
            if not moved:
                out(f"waddlebot outbox: no dead letter {target}")
                return 1
        else:
            moved = sum([await box.replay(None) for box in _outboxes(res, platform)])
        out(f"{moved} sent back to the outbox")
        return 0
    finally:
        await res.close()


def register(sub: Any) -> None:
    """Add `outbox list` and `outbox retry` to the `waddlebot` parser."""
    parser = sub.add_parser("outbox", help="see and replay the collectors' outboxes and dead letters")
    verbs = parser.add_subparsers(dest="verb", required=True)
    show = verbs.add_parser("list", help="entries waiting, or dead letters with --dead")
    show.add_argument("--platform", choices=PLATFORMS)
    show.add_argument("--dead", action="store_true", help="dead letters instead of waiting entries")
    show.set_defaults(func=_run_list)
    again = verbs.add_parser("retry", help="send dead letters again")
    again.add_argument("id", nargs="?", help="<outbox>/<id> from `outbox list --dead`")
    again.add_argument("--all", action="store_true", help="every dead letter (of --platform)")
    again.add_argument("--platform", choices=PLATFORMS)
    again.set_defaults(func=_run_retry)


def _settings() -> CoreSettings:
    from flask_core.collector import cli_settings
    from flask_core.settings import CoreSettings, set_default_env

    set_default_env(env="dev", log_level="WARNING")  # like `waddlebot run`: a dev server's store
    settings = cli_settings(CoreSettings)
    if settings is None:
        raise SystemExit(2)
    return settings


def _run_list(args: argparse.Namespace) -> int:
    return asyncio.run(list_entries(_settings(), args.platform, args.dead, print))


def _run_retry(args: argparse.Namespace) -> int:
    if bool(args.id) == bool(args.all):
        print("waddlebot outbox retry: give one <outbox>/<id> or --all")
        return 2
    return asyncio.run(retry(_settings(), args.id, args.platform, print))
