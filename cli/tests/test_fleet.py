"""`make fleet` as a real subprocess: one process per service, a command across processes.

A signed Twitch chat notification goes through the fleet's proxy to the twitch process,
which hands it to the router process, which calls the memories process; the reply goes
back through the twitch process to a fake Helix. Then the memories process is killed:
the next command gets the "unavailable" text, and once the fleet's supervisor has
started memories again (FLEET_RESTART_DELAY) the command is answered again.
Real PostgreSQL (a database of this test's own) and Redis (a key prefix of its own).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from flask_core import settings as core_settings
from flask_core.testing import DatabaseSetupError, FakeHttpServer, session_database
from waddlebot_cli import fleet
from waddlebot_twitch.eventsub import signed_headers

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fleet-test-eventsub-secret-0123456789"
BOT = "777000"
CHANNEL = "424242"
RESTART_DELAY = 4.0  # long enough to see the "unavailable" text, short enough for the budget


def _fleet_env(tmp_path: Path, port: int, database_url: str, redis_url: str, helix: str) -> dict[str, str]:
    keep = {
        k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "VIRTUAL_ENV", "UV_CACHE_DIR")
    }
    keep.update({k: v for k, v in os.environ.items() if k.startswith("COVERAGE")})
    return {
        **keep,
        "ENV": "test", "PORT": str(port), "DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url, "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"wbfleet:{uuid.uuid4().hex[:10]}:", "OUTBOX_ALLOW_VOLATILE_REDIS": "true",
        "FLEET_PORTS": "auto", "FLEET_RESTART_DELAY": str(RESTART_DELAY),
        "INTERNAL_JWT_SECRET": "fleet-test-internal-secret-0123456789abcdef",
        "PORTAL_JWT_SECRET": "fleet-test-portal-secret-0123456789abcdefgh",
        "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json",
        "TWITCH_EVENTSUB_SECRET": SECRET, "TWITCH_CLIENT_ID": "fleet-client",
        "TWITCH_CLIENT_SECRET": "fleet-client-secret", "TWITCH_BOT_USER_ID": BOT,
        "TWITCH_ACCESS_TOKEN": "fleet-user-token", "TWITCH_REFRESH_TOKEN": "fleet-refresh",
        "TWITCH_API_URL": f"{helix}/helix", "TWITCH_AUTH_URL": f"{helix}/oauth2",
        "ROUTER_DEFAULT_COOLDOWN": "0", "ROUTER_MODULE_TIMEOUT": "1",
        "HTTP_BREAKER_RESET": "1", "OUTBOX_POLL_INTERVAL": "0.2", "DELIVERY_POLL_INTERVAL": "0.2",
        "DELIVERY_RETRY_SCHEDULE": "200ms,500ms,1s",
    }  # fmt: skip


def notification(text: str, *, moderator: bool = False) -> tuple[str, bytes]:
    message_id = f"fleet-{uuid.uuid4()}"
    badges = [{"set_id": "moderator", "id": "1", "info": ""}] if moderator else []
    envelope = {
        "subscription": {
            "id": str(uuid.uuid4()), "status": "enabled", "type": "channel.chat.message", "version": "1",
            "condition": {"broadcaster_user_id": CHANNEL, "user_id": BOT},
            "transport": {"method": "webhook", "callback": "https://example.invalid/twitch/webhooks/eventsub"},
            "created_at": "2026-12-01T00:00:00Z", "cost": 0,
        },
        "event": {
            "broadcaster_user_id": CHANNEL, "broadcaster_user_login": "streamer", "broadcaster_user_name": "Streamer",
            "chatter_user_id": "5150", "chatter_user_login": "viewer", "chatter_user_name": "Viewer",
            "message_id": message_id, "message": {"text": text, "fragments": []}, "color": "",
            "badges": badges, "message_type": "text", "cheer": None, "reply": None,
            "channel_points_custom_reward_id": None,
        },
    }  # fmt: skip
    return message_id, json.dumps(envelope).encode()


async def send(url: str, text: str, *, moderator: bool = False) -> str:
    message_id, body = notification(text, moderator=moderator)
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    headers = {
        **signed_headers(SECRET, message_id, stamp, body),
        "X-Request-ID": f"fleet-test-{message_id[-8:]}",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(f"{url}/twitch/webhooks/eventsub", content=body, headers=headers)
    assert answer.status_code in (200, 202, 204), answer.text
    assert answer.headers.get("X-Request-ID") == headers["X-Request-ID"]  # passed on both ways
    return message_id


async def reply_to(helix: FakeHttpServer, message_id: str, within: float) -> str | None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for call in helix.calls("/helix/chat/messages"):
            body: Any = call.body
            if body.get("reply_parent_message_id") == message_id:
                return str(body.get("message", ""))
        await asyncio.sleep(0.1)
    return None


@pytest.fixture
def fleet_database() -> Iterator[str]:
    url = core_settings.TestRunSettings().test_database_url
    if not url:
        if core_settings.TestRunSettings().ci:
            pytest.fail("TEST_DATABASE_URL is unset (CI=true: storage tests must run)")
        pytest.skip("TEST_DATABASE_URL is unset: `make fleet` needs PostgreSQL")
    try:
        with session_database(url) as own:
            yield own
    except DatabaseSetupError as exc:
        pytest.fail(str(exc))


async def _chat(call: Any) -> web.StreamResponse:
    return web.json_response(
        {"data": [{"message_id": uuid.uuid4().hex, "is_sent": True, "drop_reason": None}]}
    )


async def _token(call: Any) -> web.StreamResponse:
    return web.json_response(
        {"access_token": "fleet-user-token", "refresh_token": "fleet-refresh", "expires_in": 14000,
         "scope": ["user:bot", "user:write:chat"], "token_type": "bearer"}
    )  # fmt: skip


async def _moderated(call: Any) -> web.StreamResponse:
    return web.json_response({"data": [], "pagination": {}})


@pytest.fixture
async def helix() -> Any:
    fake = FakeHttpServer()
    fake.route("POST", "/helix/chat/messages", _chat)
    fake.route("POST", "/oauth2/token", _token)
    fake.route("GET", "/helix/moderation/channels", _moderated)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def test_make_fleet_answers_across_processes_and_survives_a_module_restart(
    tmp_path: Path, free_port: int, fleet_database: str, redis_url: str, helix: FakeHttpServer
) -> None:
    env = _fleet_env(tmp_path, free_port, fleet_database, redis_url, helix.url)
    log_path = tmp_path / "fleet.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: ASYNC220 - make fleet runs for the whole test
            ["make", "-s", "fleet"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{free_port}"
    try:
        deadline = time.monotonic() + 120  # every service is a process: 20+ of them start on 2 cores
        while time.monotonic() < deadline:
            assert proc.poll() is None, (
                f"make fleet exited with {proc.returncode}: {log_path.read_text()[-3000:]}"
            )
            try:
                async with httpx.AsyncClient(timeout=3) as client:
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)
        else:
            pytest.fail(f"the fleet was not ready within 120 s: {log_path.read_text()[-3000:]}")
        output = log_path.read_text()
        pids = dict(re.findall(r"fleet\s+\| started (\w+) \(pid (\d+)\)", output))
        installed = {s.prefix for s in fleet.fleet_services()}
        assert set(pids) == installed | {"migrate", "proxy"}  # one process per service, migrate first
        assert (
            output.index("started migrate")
            < output.index("started memories")
            < output.index("started router")
        )
        assert re.search(r"^memories\s+\| ", output, re.M)  # every process's output is prefixed

        # A command crosses processes: twitch -> router -> memories -> router -> twitch -> Helix.
        answer = None
        deadline = time.monotonic() + 20
        while answer is None and time.monotonic() < deadline:  # the first try, unless a reply is lost
            answer = await reply_to(
                helix, await send(url, "!quote add Keep waddling - Pingu", moderator=True), 3
            )
        assert answer == "Quote #1 added."

        os.kill(int(pids["memories"]), signal.SIGKILL)
        killed_at = time.monotonic()
        down = await reply_to(helix, await send(url, "!quote 1"), RESTART_DELAY)
        assert down is not None and "unavailable" in down, down
        assert time.monotonic() - killed_at < RESTART_DELAY  # seen while memories was down

        back = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            back = await reply_to(helix, await send(url, "!quote 1"), 3)
            if back is not None and "unavailable" not in back:
                break
        assert back is not None and "Keep waddling" in back, back
        restarted = re.findall(r"fleet\s+\| started memories \(pid (\d+)\)", log_path.read_text())
        assert len(restarted) == 2 and restarted[1] != pids["memories"]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            await asyncio.to_thread(proc.wait, 30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = log_path.read_text()
    assert "fleet         | stopped" in output, output[-3000:]


def test_fleet_refuses_without_database_or_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [*fleet.command("fleet")], env={**env, "REDIS_URL": "redis://127.0.0.1:6379/0"},
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "DATABASE_URL is not set" in result.stderr
    with pytest.raises(fleet.FleetRefused, match="DATABASE_URL and REDIS_URL are not set"):
        fleet.required_env({})


def test_serve_refuses_unknown_and_uninstalled_prefixes(tmp_path: Path) -> None:
    from flask_core import service_table

    unknown = subprocess.run(
        fleet.command("serve", "nope"), capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert unknown.returncode == 2 and "unknown service 'nope'" in unknown.stderr
    absent = [p for p in service_table.PREFIXES if p not in service_table.installed()]
    if absent:
        result = subprocess.run(
            fleet.command("serve", absent[0]), capture_output=True, text=True, timeout=60, cwd=tmp_path
        )
        assert result.returncode == 2 and "not installed here" in result.stderr


async def test_the_proxy_routes_by_first_segment_passes_request_ids_and_websockets() -> None:
    from aiohttp import ClientSession, WSMsgType

    from waddlebot_cli.proxy import build_app

    seen: list[dict[str, str]] = []

    async def echo(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers))
        if request.path == "/readyz":
            return web.json_response({"status": "starting"}, status=503)
        return web.json_response({"path": request.path_qs, "body": (await request.read()).decode()})

    async def socket(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await ws.send_str(f"echo:{message.data}")
        return ws

    backend = web.Application()
    backend.router.add_get("/router/ws", socket)
    backend.router.add_route("*", "/{tail:.*}", echo)
    runners = []
    try:
        runner = web.AppRunner(backend)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        backend_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        proxy = web.AppRunner(build_app({"router": backend_url}))
        await proxy.setup()
        runners.append(proxy)
        await web.TCPSite(proxy, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{proxy.addresses[0][1]}"
        async with httpx.AsyncClient(base_url=url) as client:
            answer = await client.post(
                "/router/api/v1/x?q=1", content=b"hi", headers={"X-Request-ID": "rid-1"}
            )
            assert answer.json() == {"path": "/router/api/v1/x?q=1", "body": "hi"}  # path untouched
            assert answer.headers["X-Request-ID"] == "rid-1" and seen[-1]["X-Request-ID"] == "rid-1"
            assert seen[-1]["X-Forwarded-For"] == "127.0.0.1"
            made = await client.get("/router/x")
            assert len(seen[-1]["X-Request-ID"]) == 32  # one is made when the client sent none
            assert made.status_code == 200
            for path in ("/routerx/api", "/memories/api/v1/manifest", "/"):  # exact segment; no portal
                missing = await client.get(path)
                assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
            assert (await client.get("/healthz")).json()["routes"] == ["router"]
            assert (await client.get("/readyz")).status_code == 503  # a backend not ready: the fleet is not
        async with ClientSession() as session, session.ws_connect(f"{url}/router/ws") as ws:
            await ws.send_str("quack")
            assert (await ws.receive()).data == "echo:quack"
    finally:
        for r in reversed(runners):
            await r.cleanup()


def test_the_fleet_refuses_a_taken_port_and_auto_picks_free_ones() -> None:
    import socket

    rows = fleet.fleet_services()[:2]
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        blocked = [service_table_row(rows[1].prefix, port)]
        with pytest.raises(fleet.FleetRefused, match=f"port {port} is not free"):
            fleet.plan_ports(blocked, auto=False)
        ports, held = fleet.plan_ports(rows, auto=True)
        try:
            assert set(ports) == {r.prefix for r in rows} and len(set(ports.values())) == 2
        finally:
            for sock in held:
                sock.close()
    finally:
        taken.close()


def service_table_row(prefix: str, port: int) -> Any:
    import dataclasses

    from flask_core import service_table

    return dataclasses.replace(service_table.service(prefix), port=port)
