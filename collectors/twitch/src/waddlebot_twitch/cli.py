"""`waddlebot twitch subscribe <broadcaster_id> | list | delete <id>`.

`register(subparsers)` adds the `twitch` command to the `waddlebot` parser; each
subcommand's `func(args) -> int` runs one of the async implementations below, which
tests call directly with their own settings. Tables must exist (`waddlebot migrate`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from flask_core import platform_tokens
from flask_core.collector import cli_settings, missing_settings, run_command
from flask_core.resources import Resources

from . import subscriptions
from .helix import Helix, TwitchAuthError
from .models import define_tables
from .settings import REQUIRED, TwitchSettings

Out = Callable[[str], None]


@asynccontextmanager
async def _session(settings: TwitchSettings) -> AsyncIterator[tuple[Resources, Helix]]:
    res = await Resources.open(settings)
    try:
        res.db.add_models(platform_tokens.define_tables)
        res.db.add_models(define_tables)
        yield res, Helix(res, settings)
    finally:
        await res.close()


def _missing(settings: TwitchSettings, out: Out) -> bool:
    return missing_settings("twitch", settings, REQUIRED, out)


async def subscribe(settings: TwitchSettings, broadcaster_id: str, out: Out = print) -> int:
    """Create every EventSub subscription for one channel."""
    if _missing(settings, out):
        return 2
    async with _session(settings) as (res, helix):
        results = await subscriptions.subscribe_channel(res, settings, helix, broadcaster_id)
    for result in results:
        out(f"{result['type']}: {result['outcome']}")
    return 0 if all(r["outcome"] in ("created", "exists") for r in results) else 1


async def list_subscriptions(settings: TwitchSettings, out: Out = print) -> int:
    """Print this client id's subscriptions, one per line."""
    if _missing(settings, out):
        return 2
    async with _session(settings) as (_res, helix):
        found = await subscriptions.list_subscriptions(helix)
    for sub in found:
        condition = json.dumps(sub.get("condition") or {}, sort_keys=True)
        out(f"{sub.get('id')}  {sub.get('status')}  {sub.get('type')} v{sub.get('version')}  {condition}")
    out(f"{len(found)} subscription(s)")
    return 0


async def delete(settings: TwitchSettings, subscription_id: str, out: Out = print) -> int:
    """Delete one subscription by id."""
    if _missing(settings, out):
        return 2
    async with _session(settings) as (res, helix):
        deleted = await subscriptions.delete_subscription(res, helix, subscription_id)
    out(f"deleted {subscription_id}" if deleted else f"no subscription {subscription_id}")
    return 0 if deleted else 1


def _run(
    command: Callable[..., Coroutine[Any, Any, int]], *names: str
) -> Callable[[argparse.Namespace], int]:
    def func(args: argparse.Namespace) -> int:
        settings = cli_settings(TwitchSettings)
        if settings is None:
            return 2
        values: list[Any] = [getattr(args, name) for name in names]
        return run_command("twitch", command(settings, *values), (TwitchAuthError, ValueError, RuntimeError))

    return func


def register(subparsers: Any) -> None:
    """Add `twitch subscribe|list|delete` to the `waddlebot` command's subparsers."""
    twitch = subparsers.add_parser("twitch", help="manage Twitch EventSub subscriptions")
    sub = twitch.add_subparsers(dest="twitch_command", required=True)
    create = sub.add_parser("subscribe", help="subscribe to a channel's chat and events")
    create.add_argument("broadcaster_id", help="the channel's Twitch user id")
    create.set_defaults(func=_run(subscribe, "broadcaster_id"))
    sub.add_parser("list", help="list this app's EventSub subscriptions").set_defaults(
        func=_run(list_subscriptions)
    )
    remove = sub.add_parser("delete", help="delete one EventSub subscription")
    remove.add_argument("subscription_id")
    remove.set_defaults(func=_run(delete, "subscription_id"))
