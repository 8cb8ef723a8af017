"""Overlay fan-out: 1,000 concurrent overlay WebSocket clients receive one alert.

The embedded server (`waddlebot run`, its own process) serves the router and
browser_source; this process holds CLIENTS sockets on one community's `alerts` overlay,
posts a `follow` event to the router ROUNDS times and times, per round, each client's
arrival after the POST was sent. Figures: p50 and p99 of those arrivals and the time
to the last client (medians over the rounds). `python -m bench.overlays` runs it alone.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bench.fleet import EMBEDDED, fleet_server, service_token, start_fleet
from bench.servers import Server

CLIENTS = 1000
ROUNDS = 5
CONNECT_CONCURRENCY = 100
ARRIVAL_TIMEOUT = 10.0


def _event(run: str, n: int, text: str, type_: str, roles: list[str]) -> dict[str, object]:
    server = f"bench-overlay-{run}"
    user = {
        "platform_user_id": f"bench-{n}",
        "username": f"fan{n}",
        "display_name": f"Fan{n}",
        "roles": roles,
    }
    return {
        "event_id": f"twitch:{server}-{n}",
        "platform": "twitch",
        "server_id": server,
        "channel_id": server,
        "type": type_,
        "text": text,
        "reply": {"kind": "inline"},
        "user": user,
    }


async def _token(http: aiohttp.ClientSession, server: Server, headers: dict[str, str], run: str) -> str:
    overlay = _event(run, 0, "!overlay", "chat_message", ["moderator"])
    async with http.post(f"{server.url}/router/api/v1/events", json=overlay, headers=headers) as r:
        body = await r.json()
    text = next(x["text"] for x in body["responses"] if x["type"] == "dm")
    return str(text.split("/browser_source/overlay/", 1)[1].split("/", 1)[0])


async def _connect(
    http: aiohttp.ClientSession, url: str, gate: asyncio.Semaphore
) -> aiohttp.ClientWebSocketResponse:
    async with gate:
        ws = await http.ws_connect(url, heartbeat=None, max_msg_size=1 << 20)
        while (await ws.receive_json(timeout=30))["type"] != "ready":
            pass
        return ws


async def _arrival(ws: aiohttp.ClientWebSocketResponse) -> float:
    while True:
        message = await ws.receive_json(timeout=ARRIVAL_TIMEOUT)
        if message.get("type") == "item":
            return time.perf_counter()


async def measure(server: Server, data_dir: Path) -> str:
    run = uuid.uuid4().hex[:8]
    headers = {"Authorization": f"Bearer {service_token(data_dir)}"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        token = await _token(http, server, headers, run)
        url = f"{server.url.replace('http', 'ws')}/browser_source/ws/{token}/alerts"
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        sockets = await asyncio.gather(*(_connect(http, url, gate) for _ in range(CLIENTS)))
        p50s, p99s, lasts = [], [], []
        try:
            for n in range(1, ROUNDS + 1):
                waiting = [asyncio.create_task(_arrival(ws)) for ws in sockets]
                await asyncio.sleep(0.05)  # every reader is waiting before the event leaves
                headers = {"Authorization": f"Bearer {service_token(data_dir)}"}
                sent = time.perf_counter()
                follow = _event(run, n, "", "follow", [])
                async with http.post(f"{server.url}/router/api/v1/events", json=follow, headers=headers) as r:
                    assert r.status == 200, await r.text()
                arrivals = sorted((t - sent) * 1000 for t in await asyncio.gather(*waiting))
                p50s.append(arrivals[len(arrivals) // 2])
                p99s.append(arrivals[int(len(arrivals) * 0.99) - 1])
                lasts.append(arrivals[-1])
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return (
        f"5 overlay fan-out [embedded]: {CLIENTS} WebSocket clients, one alert, medians of {ROUNDS} rounds: "
        f"p50 {statistics.median(p50s):.1f} ms, p99 {statistics.median(p99s):.1f} ms, "
        f"last client {statistics.median(lasts):.1f} ms [{min(lasts):.1f}-{max(lasts):.1f}]"
    )


def overlay_line(workdir: Path) -> str:
    """Start the embedded server, measure, stop it: the bench's one figure line."""
    data_dir = workdir / "overlays"
    server = fleet_server(data_dir, EMBEDDED)
    try:
        start_fleet(server)
        return asyncio.run(measure(server, data_dir))
    finally:
        server.stop()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="wbbench-overlays-") as workdir:
        print(overlay_line(Path(workdir)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
