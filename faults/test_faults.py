"""Every accepted command is answered exactly once, whatever breaks mid-burst (issue 9).

Each run sends EVENTS signed `channel.chat.message` notifications from SENDERS concurrent
senders to a real `waddlebot run` subprocess, Twitch-style: a notification whose webhook
was not answered 2xx (refused, timed out, 5xx) is sent again with the same message id.
Replies are counted at a fake Helix by `reply_parent_message_id`. Mid-burst one fault is
injected; afterwards the run waits until every accepted notification is answered and
both outboxes are empty, then asserts: lost = 0, duplicates = 0, and every `!quote add`
that was accepted added exactly one quote. The table of all runs is printed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from flask_core import settings as core_settings
from flask_core.testing import service_headers
from waddlebot_cli.testing import FakeHelix
from waddlebot_twitch.eventsub import signed_headers

# Nothing here touches the machine's own Redis or PostgreSQL: each run starts its own
# `redis-server` (AOF on) and, for the PostgreSQL fault, its own cluster (`initdb` +
# `pg_ctl` as the `postgres` user) on free ports, and removes them afterwards.

SECRET = "fault-suite-eventsub-secret-0123456789"
INTERNAL_SECRET = "fault-suite-internal-secret-0123456789abcdef"
PORTAL_SECRET = "fault-suite-portal-secret-0123456789abcdefgh"
BOT_USER_ID = "999000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(check: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if await check():
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# --- a private Redis with AOF ------------------------------------------------------------------


@dataclass
class PrivateRedis:
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.folder),
            "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if (
                subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).returncode
                == 0
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    folder = Path(tempfile.mkdtemp(prefix="wb-faults-redis-"))
    redis = PrivateRedis(folder)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()
        shutil.rmtree(folder, ignore_errors=True)


# --- a private PostgreSQL cluster ----------------------------------------------------------------


def _pg_bin(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        pytest.fail("PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin)")
    return str(versions[-1] / name)


def _as_postgres(*args: str) -> subprocess.CompletedProcess[bytes]:
    command = list(args) if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(command, capture_output=True, check=True, timeout=60)


@dataclass
class PrivatePostgres:
    folder: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        data = self.folder / "data"
        _as_postgres(_pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
            )
            conf.write("fsync = off\nmax_connections = 100\n")

    def ctl(self, *args: str) -> None:
        log = str(self.folder / "pg.log")
        _as_postgres(_pg_bin("pg_ctl"), "-D", str(self.folder / "data"), "-l", log, "-w", *args)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.ctl("stop", "-m", "immediate")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    folder = Path(tempfile.mkdtemp(prefix="wb-faults-pg-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    pg = PrivatePostgres(folder)
    pg.init()
    pg.ctl("start")
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


# --- the fake Helix ------------------------------------------------------------------------------


@pytest.fixture
async def helix() -> AsyncIterator[FakeHelix]:
    fake = FakeHelix()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


# --- the fleet process -----------------------------------------------------------------------------


@dataclass
class Fleet:
    """`waddlebot run` as a real subprocess; `kill()` is SIGKILL, `start()` starts it again."""

    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "waddlebot_cli.main", "run"], env=self.env, stdout=out, stderr=out
            )

        async def ready() -> bool:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"{self.url}/readyz", timeout=2)).status_code == 200

        await wait_for(ready, 60, f"the fleet on {self.url} (log: {self.log})")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


def fleet_env(data_dir: Path, port: int, helix: FakeHelix, **extra: str) -> dict[str, str]:
    """The fleet's environment: fast leases and retry schedules so a run fits the CI budget."""
    keep = core_settings.inherited_env(
        lambda name: name in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
    )
    return {
        **keep,
        "ENV": "test", "HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": str(data_dir),
        "INTERNAL_JWT_SECRET": INTERNAL_SECRET, "PORTAL_JWT_SECRET": PORTAL_SECRET,
        "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json",
        "TWITCH_EVENTSUB_SECRET": SECRET, "TWITCH_CLIENT_ID": "fault-client",
        "TWITCH_CLIENT_SECRET": "fault-client-secret", "TWITCH_BOT_USER_ID": BOT_USER_ID,
        "TWITCH_ACCESS_TOKEN": "fault-user-token", "TWITCH_REFRESH_TOKEN": "fault-refresh",
        "TWITCH_API_URL": f"{helix.url}/helix", "TWITCH_AUTH_URL": f"{helix.url}/oauth2",
        "TWITCH_CHAT_RATE_LIMIT": "100000/1s", "TWITCH_CHAT_RATE_LIMIT_MOD": "100000/1s",
        "ROUTER_USER_RATE_LIMIT": "100000/1s", "ROUTER_COMMUNITY_RATE_LIMIT": "1000000/1s",
        "ROUTER_DEFAULT_COOLDOWN": "0", "HTTP_BREAKER_RESET": "1",
        "OUTBOX_LEASE": "3", "OUTBOX_POLL_INTERVAL": "0.2", "OUTBOX_BACKOFF_BASE": "0.2",
        "OUTBOX_BACKOFF_CAP": "2", "OUTBOX_BATCH_SIZE": "32",
        "DELIVERY_LEASE": "3", "DELIVERY_POLL_INTERVAL": "0.2",
        "DELIVERY_RETRY_SCHEDULE": "200ms,500ms,1s,2s",
        **extra,
    }  # fmt: skip


@pytest.fixture
async def make_fleet(request: pytest.FixtureRequest, helix: FakeHelix) -> AsyncIterator[Any]:
    fleets: list[Fleet] = []
    folder = Path("var/faults") / request.node.name  # kept after the run: the fleet's log is evidence
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)

    async def factory(**extra: str) -> Fleet:
        port = free_port()
        fleet = Fleet(fleet_env(folder.resolve() / "data", port, helix, **extra), port, folder / "fleet.log")
        fleets.append(fleet)
        await fleet.start()
        return fleet

    yield factory
    for fleet in fleets:
        fleet.stop()


# --- the bursts ---------------------------------------------------------------------------------


EVENTS = core_settings.TestRunSettings().faults_events
SENDERS = 8
CHANNELS = 4
ADD_EVERY = 10  # one `!quote add` (moderator) in ten; the rest are `!quote`
SEND_BUDGET = 120.0  # seconds a sender keeps retrying one notification
SETTLE_BUDGET = 120.0
REPORT: list[dict[str, Any]] = []
DETAILS: dict[str, dict[str, Any]] = {}


@dataclass
class Burst:
    """The notifications of one run and what became of them."""

    fault_at: int = EVENTS // 3
    accepted: set[str] = field(default_factory=set)
    adds: set[str] = field(default_factory=set)
    sent: int = 0
    attempts: int = 0
    killed_at: float | None = None  # when the fleet was SIGKILLed, if it was
    restarted_at: float | None = None  # when the killed fleet's successor was started
    fault_started: asyncio.Event = field(default_factory=asyncio.Event)

    def notification(self, n: int) -> tuple[str, bytes, bool]:
        message_id = f"fault-{uuid.uuid4()}"
        channel = str(7000 + n % CHANNELS)
        add = n % ADD_EVERY == 0
        badges = [{"set_id": "moderator", "id": "1", "info": ""}] if add else []
        text = f"!quote add fault line {n} - Tester" if add else "!quote"
        envelope = {
            "subscription": {
                "id": str(uuid.uuid4()), "status": "enabled", "type": "channel.chat.message", "version": "1",
                "condition": {"broadcaster_user_id": channel, "user_id": BOT_USER_ID},
                "transport": {"method": "webhook", "callback": "https://example.invalid/twitch/webhooks/eventsub"},
                "created_at": "2026-12-01T00:00:00Z", "cost": 0,
            },
            "event": {
                "broadcaster_user_id": channel, "broadcaster_user_login": f"streamer{channel}",
                "broadcaster_user_name": f"Streamer{channel}", "chatter_user_id": str(10_000 + n % 500),
                "chatter_user_login": f"viewer{n % 500}", "chatter_user_name": f"Viewer{n % 500}",
                "message_id": message_id, "message": {"text": text, "fragments": []}, "color": "",
                "badges": badges, "message_type": "text", "cheer": None, "reply": None,
                "channel_points_custom_reward_id": None,
            },
        }  # fmt: skip
        return message_id, json.dumps(envelope).encode(), add


async def send_one(
    client: httpx.AsyncClient, fleet: Fleet, burst: Burst, message_id: str, body: bytes
) -> bool:
    """Deliver one notification like Twitch: again, same message id, until a 2xx."""
    deadline = time.monotonic() + SEND_BUDGET
    delay = 0.1
    while time.monotonic() < deadline:
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        headers = signed_headers(SECRET, message_id, stamp, body)
        burst.attempts += 1
        try:
            response = await client.post(
                f"{fleet.url}/twitch/webhooks/eventsub", content=body, headers=headers
            )
            if 200 <= response.status_code < 300:
                return True
        except httpx.HTTPError:
            pass
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(2.0, delay * 2)
    return False


async def burst_with(fleet: Fleet, fault: Callable[[Burst], Awaitable[None]] | None) -> Burst:
    burst = Burst()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(EVENTS):
        queue.put_nowait(n)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            burst.sent += 1
            if burst.sent == burst.fault_at:
                burst.fault_started.set()
            message_id, body, add = burst.notification(n)
            if await send_one(client, fleet, burst, message_id, body):
                burst.accepted.add(message_id)
                if add:
                    burst.adds.add(message_id)

    async def injector() -> None:
        await burst.fault_started.wait()
        if fault is not None:
            await fault(burst)

    limits = httpx.Limits(max_connections=SENDERS)
    async with httpx.AsyncClient(timeout=5.0, limits=limits) as client:
        await asyncio.gather(injector(), *(sender(client) for _ in range(SENDERS)))
    return burst


async def settle(fleet: Fleet, helix: FakeHelix, burst: Burst) -> None:
    """Wait until every accepted notification is answered and both outboxes are empty."""
    headers = service_headers("twitch", issuer="test", secret=INTERNAL_SECRET)
    deadline = time.monotonic() + SETTLE_BUDGET
    async with httpx.AsyncClient(timeout=5.0) as client:
        while time.monotonic() < deadline:
            answered = all(m in helix.replies for m in burst.accepted)
            try:
                status = (await client.get(f"{fleet.url}/twitch/api/v1/status", headers=headers)).json()
            except (httpx.HTTPError, ValueError):
                status = {}
            if answered and status.get("outbox_pending") == 0 and status.get("delivery_pending") == 0:
                return
            await asyncio.sleep(0.25)


def count_quotes(database: str) -> int:
    if database.startswith("postgresql://"):
        conn = psycopg2.connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM quotes WHERE text LIKE 'fault line %%'")
                return int(cur.fetchone()[0])
        finally:
            conn.close()
    conn = sqlite3.connect(database)
    try:
        return int(conn.execute("SELECT count(*) FROM quotes WHERE text LIKE 'fault line %'").fetchone()[0])
    finally:
        conn.close()


def in_flight_at_kill(burst: Burst, helix: FakeHelix, message_id: str) -> bool:
    """Its first reply came from the killed process and the repeat from its successor: the
    process died between Helix's answer and its own acknowledgement (which, on SQLite under
    load, can wait behind other writes). Helix has no idempotency key, so that one send is
    repeated after the restart (at-least-once at the platform's edge). A channel's lane
    sends one message at a time and acknowledges it before the next, so there is at most
    one such message per channel.

    The line between the two processes is the successor's start, not the SIGKILL: fake
    Helix runs on this test's event loop, so a reply the killed process sent just before
    dying can be handled (and timed) after `killed_at`, while nothing can come from the
    successor before it is started."""
    times = helix.times.get(message_id, [])
    line = burst.restarted_at if burst.restarted_at is not None else burst.killed_at
    if line is None or len(times) != 2:
        return False
    return times[0] <= line < times[1]


def record(name: str, burst: Burst, helix: FakeHelix, quotes: int) -> dict[str, Any]:
    answered = sum(1 for m in burst.accepted if m in helix.replies)
    repeated = {m: helix.replies.get(m, 0) - 1 for m in burst.accepted if helix.replies.get(m, 0) > 1}
    edge = {m for m in repeated if in_flight_at_kill(burst, helix, m)}
    row = {
        "fault": name,
        "accepted": len(burst.accepted),
        "answered": answered,
        "duplicates": sum(n for m, n in repeated.items() if m not in edge),
        "re-sent after kill": sum(n for m, n in repeated.items() if m in edge),
        "unavailable texts": sum(1 for m in burst.accepted if "unavailable" in helix.texts.get(m, "")),
        "lost": len(burst.accepted) - answered,
        "adds accepted": len(burst.adds),
        "quotes added": quotes,
        "webhook attempts": burst.attempts,
    }
    REPORT.append(row)
    base = burst.killed_at or 0.0
    DETAILS[name] = {  # printed by `check` when a run has duplicates: when each copy arrived
        m: [round(t - base, 3) for t in helix.times.get(m, [])] for m in repeated if m not in edge
    } | ({"restarted_at": round(burst.restarted_at - base, 3)} if burst.restarted_at else {})
    return row


@pytest.fixture(scope="module", autouse=True)
def _print_report() -> Any:
    yield
    if REPORT:
        columns = list(REPORT[0])
        lines = ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in REPORT]
        text = "\n".join(lines)
        print(text)
        Path("var").mkdir(exist_ok=True)
        Path("var/faults-report.md").write_text(text + "\n")


def check(row: dict[str, Any]) -> None:
    assert row["accepted"] == EVENTS, row  # every sender got through in the end
    assert row["lost"] == 0, row
    # the arrival times of each duplicate's copies, in seconds after the kill (if any)
    assert row["duplicates"] == 0, (row, DETAILS.get(row["fault"]))
    assert row["re-sent after kill"] <= CHANNELS, row  # at most one in-flight send per channel
    assert row["unavailable texts"] == 0, row  # brief outages are retried, not apologised for
    assert row["quotes added"] == row["adds accepted"], row


# --- the runs ------------------------------------------------------------------------------------


async def run(name: str, fleet: Fleet, helix: FakeHelix, database: str, fault: Any) -> None:
    burst = await burst_with(fleet, fault)
    await settle(fleet, helix, burst)
    check(record(name, burst, helix, count_quotes(database)))


def sqlite_path(fleet: Fleet) -> str:
    return str(Path(fleet.env["DATA_DIR"]) / "waddlebot.sqlite")


async def test_no_fault(make_fleet: Any, helix: FakeHelix, private_redis: PrivateRedis) -> None:
    fleet = await make_fleet(REDIS_URL=private_redis.url)
    await run("none (Redis AOF)", fleet, helix, sqlite_path(fleet), None)


@pytest.mark.parametrize("backend", ["redis", "embedded"])
async def test_the_fleet_killed_mid_burst(
    make_fleet: Any, helix: FakeHelix, private_redis: PrivateRedis, backend: str
) -> None:
    extra = {"REDIS_URL": private_redis.url} if backend == "redis" else {}
    fleet = await make_fleet(**extra)

    async def fault(burst: Burst) -> None:
        await asyncio.sleep(0.3)
        burst.killed_at = time.monotonic()
        fleet.kill()
        await asyncio.sleep(0.5)
        burst.restarted_at = time.monotonic()
        await fleet.start()

    label = "fleet SIGKILLed + restarted (Redis AOF)" if backend == "redis" else "fleet SIGKILLed (embedded)"
    await run(label, fleet, helix, sqlite_path(fleet), fault)


async def test_redis_killed_mid_burst(make_fleet: Any, helix: FakeHelix, private_redis: PrivateRedis) -> None:
    fleet = await make_fleet(REDIS_URL=private_redis.url)

    async def fault(burst: Burst) -> None:
        private_redis.kill()
        await asyncio.sleep(1.0)
        private_redis.start()

    await run("Redis SIGKILLed + restarted (AOF)", fleet, helix, sqlite_path(fleet), fault)


async def test_helix_failing_for_ten_seconds(
    make_fleet: Any, helix: FakeHelix, private_redis: PrivateRedis
) -> None:
    fleet = await make_fleet(REDIS_URL=private_redis.url)

    async def fault(burst: Burst) -> None:
        helix.failing_until = time.monotonic() + 10.0

    await run("Helix 500 for 10 s", fleet, helix, sqlite_path(fleet), fault)


async def test_postgres_restarted_mid_burst(
    make_fleet: Any, helix: FakeHelix, private_redis: PrivateRedis, private_postgres: PrivatePostgres
) -> None:
    fleet = await make_fleet(REDIS_URL=private_redis.url, DATABASE_URL=private_postgres.url)

    async def fault(burst: Burst) -> None:
        private_postgres.ctl("stop", "-m", "fast")
        await asyncio.sleep(2.0)
        private_postgres.ctl("start")

    await run("PostgreSQL restarted (2 s down)", fleet, helix, private_postgres.url, fault)
