"""`make load`: Locust against the fleet through signed Twitch webhooks, replies counted at a fake Helix.

    python -m bench.load [--mode run|fleet] [--users 16] [--rate 5] [--time 30]

Bounded and loopback only: `--users` Locust users (Twitch-style senders), each at
`--rate` notifications per second, for `--time` seconds, against a `waddlebot run`
(embedded SQLite, in-process cache) or a `waddlebot fleet` (one process per service,
PostgreSQL and Redis from TEST_DATABASE_URL / TEST_REDIS_URL in a private schema and key
prefix) started here with TWITCH_API_URL at a fake Helix. Every notification is a `!quote`
in one of four seeded channels; the reply to it carries its message id
(`reply_parent_message_id`). After Locust stops, the run waits until every acknowledged
notification has its reply (or LOAD_SETTLE seconds pass), then prints sustained events/s,
p50/p99 webhook acknowledgement times, and lost and duplicated replies. Lost or
duplicated replies fail the run (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.fleet import EMBEDDED, Backend, fleet_backend, fleet_urls
from bench.servers import Server, ServerError, clean_env, free_port, ready_path
from bench.settings import BenchSettings, LoadSettings, inherited_environment
from waddlebot_cli.testing import FakeHelix
from waddlebot_twitch.eventsub import signed_headers

SECRET = "load-test-eventsub-secret-0123456789"
BOT_USER_ID = "999000"
CHANNELS = ("1001", "1002", "1003", "1004")
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
ROOT = LOCUSTFILE.parent.parent.parent
SETTLE = LoadSettings().load_settle
MAX_USERS, MAX_RATE, MAX_TIME = 64, 50.0, 300


def fleet_env(data_dir: Path, port: int, helix: FakeHelix, backend: Backend) -> dict[str, str]:
    """What the fleet under load runs with: real limits for chat, none for the router."""
    return clean_env(
        {
            "ENV": "dev", "PORT": str(port), "DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING",
            "TWITCH_EVENTSUB_SECRET": SECRET, "TWITCH_CLIENT_ID": "load-client",
            "TWITCH_CLIENT_SECRET": "load-client-secret", "TWITCH_BOT_USER_ID": BOT_USER_ID,
            "TWITCH_ACCESS_TOKEN": "load-user-token", "TWITCH_REFRESH_TOKEN": "load-refresh",
            "TWITCH_API_URL": f"{helix.url}/helix", "TWITCH_AUTH_URL": f"{helix.url}/oauth2",
            "TWITCH_CHAT_RATE_LIMIT": "100000/1s", "TWITCH_CHAT_RATE_LIMIT_MOD": "100000/1s",
            "ROUTER_USER_RATE_LIMIT": "100000/1s", "ROUTER_COMMUNITY_RATE_LIMIT": "1000000/1s",
            "ROUTER_DEFAULT_COOLDOWN": "0", "OUTBOX_ALLOW_VOLATILE_REDIS": "true",
            **backend.env,
        }
    )  # fmt: skip


def signed_chat(message_id: str, channel: str, text: str, *, moderator: bool) -> tuple[bytes, dict[str, str]]:
    badges = [{"set_id": "moderator", "id": "1", "info": ""}] if moderator else []
    body = json.dumps(
        {
            "subscription": {"id": str(uuid.uuid4()), "type": "channel.chat.message", "version": "1",
                             "status": "enabled", "cost": 0,
                             "condition": {"broadcaster_user_id": channel, "user_id": BOT_USER_ID},
                             "transport": {"method": "webhook", "callback": "https://x/twitch/webhooks/eventsub"},
                             "created_at": "2026-12-01T00:00:00Z"},
            "event": {"broadcaster_user_id": channel, "broadcaster_user_login": f"chan{channel}",
                      "broadcaster_user_name": f"Chan{channel}", "chatter_user_id": "4242",
                      "chatter_user_login": "loadmod", "chatter_user_name": "LoadMod",
                      "message_id": message_id,
                      "message": {"text": text, "fragments": []}, "color": "", "badges": badges,
                      "message_type": "text", "cheer": None, "reply": None,
                      "channel_points_custom_reward_id": None},
        }
    ).encode()  # fmt: skip
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return body, signed_headers(SECRET, str(uuid.uuid4()), stamp, body)


async def seed(url: str, helix: FakeHelix) -> None:
    """One `!quote add` per channel (as a moderator), answered before the load starts."""
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        for channel in CHANNELS:
            message_id = str(uuid.uuid4())
            body, headers = signed_chat(
                message_id, channel, f"!quote add Load test {channel}", moderator=True
            )
            answer = await client.post("/twitch/webhooks/eventsub", content=body, headers=headers)
            if answer.status_code != 204:
                raise ServerError(f"seeding {channel}: webhook answered {answer.status_code}")
            deadline = time.monotonic() + 30
            while message_id not in helix.replies:
                if time.monotonic() > deadline:
                    raise ServerError(f"seeding {channel}: no reply at the fake Helix")
                await asyncio.sleep(0.1)


def locust(url: str, users: int, rate: float, seconds: int, workdir: Path) -> tuple[dict[str, Any], Path]:
    ids = workdir / "ids.json"
    prefix = workdir / "locust"
    env = {
        **inherited_environment(),
        # the locustfile imports bench.settings, whatever the working directory
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), BenchSettings().pythonpath) if p),
        "LOAD_EVENTSUB_SECRET": SECRET,
        "LOAD_CHANNELS": ",".join(CHANNELS),
        "LOAD_USER_RATE": str(rate),
        "LOAD_IDS_FILE": str(ids),
        "LOAD_RUN_SECONDS": str(seconds),
    }
    argv = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "-u", str(users), "-r", str(max(1, users)), "--host", url,
        "--csv", str(prefix), "--stop-timeout", "10", "--exit-code-on-error", "0",
    ]  # fmt: skip
    with (workdir / "locust.log").open("wb") as log:
        subprocess.run(argv, env=env, check=True, timeout=seconds + 120, stdout=log, stderr=subprocess.STDOUT)
    return json.loads(ids.read_text()), Path(f"{prefix}_stats.csv")


def ack_times(stats: Path) -> tuple[float, float, int, int]:
    """(p50 ms, p99 ms, requests, failures) of the webhook from Locust's stats."""
    with stats.open(newline="") as f:
        for row in csv.DictReader(f):
            if row.get("Name") == "webhook":
                return (
                    float(row["50%"]),
                    float(row["99%"]),
                    int(row["Request Count"]),
                    int(row["Failure Count"]),
                )
    return float("nan"), float("nan"), 0, 0


async def settle(helix: FakeHelix, acked: list[str]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < SETTLE:
        if all(i in helix.replies for i in acked):
            break
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def start_server(mode: str, workdir: Path, helix: FakeHelix, backend: Backend) -> Server:
    port = free_port()
    data_dir = workdir / "data"
    env = fleet_env(data_dir, port, helix, backend)
    argv = [sys.executable, "-m", "waddlebot_cli.main", mode]
    server = Server(f"waddlebot {mode}", argv, env, workdir / f"{mode}.log", port)
    server.start(ready_path("/readyz"), timeout=180.0)
    return server


async def run_mode(mode: str, args: argparse.Namespace, backend: Backend) -> bool:
    helix = FakeHelix()
    await helix.start()
    workdir = Path(tempfile.mkdtemp(prefix=f"wbload-{mode}-"))
    server: Server | None = None
    try:
        server = await asyncio.to_thread(start_server, mode, workdir, helix, backend)
        await seed(server.url, helix)
        seeded = set(helix.replies)
        ids, stats = await asyncio.to_thread(locust, server.url, args.users, args.rate, args.time, workdir)
        acked: list[str] = ids["acked"]
        waited = await settle(helix, acked)
        lost = [i for i in acked if i not in helix.replies]
        duplicated = [i for i, n in helix.replies.items() if n > 1 and i not in seeded]
        unexpected = [i for i in helix.replies if i not in seeded and i not in set(ids["sent"])]
        p50, p99, requests, failures = ack_times(stats)
        print(
            f"  {mode:<6} {args.users} users x {args.rate:g}/s for {args.time} s ({backend.label}):"
            f" {len(acked)} notifications acknowledged ({len(acked) / args.time:.0f} events/s sustained),"
            f" webhook p50 {p50:.0f} ms, p99 {p99:.0f} ms ({failures} of {requests} attempts not 2xx);"
            f" replies settled {waited:.1f} s after the load; lost {len(lost)}, duplicated {len(duplicated)},"
            f" unexpected {len(unexpected)}",
            flush=True,
        )
        return not lost and not duplicated and not unexpected
    finally:
        if server is not None:
            server.stop()
        await helix.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("run", "fleet", "both"), default="both")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--rate", type=float, default=5.0, help="notifications per second per user")
    parser.add_argument("--time", type=int, default=30, help="seconds of load")
    args = parser.parse_args()
    if not (1 <= args.users <= MAX_USERS and 0 < args.rate <= MAX_RATE and 1 <= args.time <= MAX_TIME):
        parser.error(f"bounded: 1-{MAX_USERS} users, rate up to {MAX_RATE:g}/s each, 1-{MAX_TIME} s")
    print(f"make load: Locust, {args.users} users x {args.rate:g} notifications/s, {args.time} s per mode")
    ok = True
    modes = ["run", "fleet"] if args.mode == "both" else [args.mode]
    with ExitStack() as stack:
        for mode in modes:
            backend = EMBEDDED
            if mode == "fleet":
                urls = fleet_urls()
                if urls is None:
                    print("  fleet  skipped: no TEST_DATABASE_URL (source var/ci/test-env.sh)")
                    continue
                backend = stack.enter_context(fleet_backend(uuid.uuid4().hex[:10], *urls))
            ok = asyncio.run(run_mode(mode, args, backend)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
