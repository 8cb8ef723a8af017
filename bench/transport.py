"""The outbound HTTP transport (decision 0089): flask_core's h11 transport against the
aiohttp transport it replaced and httpx's default (httpcore), in one run.

ARCHITECTURE §7 chose the transport for its latency tail: a router calling a module over
loopback with 32 calls in flight. This measures exactly that: one client process (this
one), 32 concurrent callers POSTing a small JSON body for `BENCH_DURATION` seconds to the
bare Quart echo on hypercorn in its own process; calls/s, p50 and p99, and the client's
CPU per call. Each transport is measured `BENCH_REPS` times, interleaved.

    python -m bench.transport          (`make bench` runs it after the pipelines)
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.servers import Server, clean_env, echo_ready, free_port
from bench.settings import BenchSettings

CONCURRENCY = 32
BODY = b'{"text":"!quote","user":"viewer","community":"bench"}'


def _transports() -> dict[str, Callable[[], httpx.AsyncBaseTransport]]:
    from httpx_aiohttp import AiohttpTransport

    from flask_core.transport import H11Transport

    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    return {
        "flask_core h11": lambda: H11Transport(limits=limits),
        "aiohttp (before)": lambda: AiohttpTransport(limits=limits),
        "httpx default (httpcore)": lambda: httpx.AsyncHTTPTransport(limits=limits),
    }


async def _measure(
    url: str, make: Callable[[], httpx.AsyncBaseTransport], seconds: float, warmup: float
) -> tuple[float, list[float], float]:
    """(calls/s, latencies in ms of the measured window, client CPU ms per call)."""
    latencies: list[float] = []
    counting = False
    stop_at = time.monotonic() + warmup + seconds
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=make(), timeout=10) as client:

        async def caller() -> None:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                answer = await client.post(url, content=BODY, headers=headers)
                if answer.status_code != 200:
                    raise RuntimeError(f"echo answered {answer.status_code}")
                if counting:
                    latencies.append((time.perf_counter() - started) * 1000)

        tasks = [asyncio.create_task(caller()) for _ in range(CONCURRENCY)]
        await asyncio.sleep(warmup)
        counting = True
        cpu, wall = time.process_time(), time.monotonic()
        await asyncio.gather(*tasks)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    return len(latencies) / wall, latencies, cpu * 1000 / max(1, len(latencies))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(settings: BenchSettings) -> None:
    print(
        f"\noutbound HTTP transport: {CONCURRENCY} calls in flight to the bare Quart echo (own process)",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="wbbench-transport-"))
    port = free_port()
    argv = [sys.executable, "-m", "bench.echo_server", "bare", str(port), str(workdir)]
    env = clean_env({"PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    server = Server("bare echo", argv, env, workdir / "echo.log", port)
    results: dict[str, list[tuple[float, list[float], float]]] = {name: [] for name in _transports()}
    try:
        server.start(echo_ready)
        url = f"{server.url}/echo/api/v1/echo"
        for _ in range(settings.bench_reps):
            for name, make in _transports().items():
                results[name].append(
                    asyncio.run(_measure(url, make, settings.bench_duration, settings.bench_warmup))
                )
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"  {'transport':<26} {'calls/s':>16} {'p50 ms':>8} {'p99 ms':>8} {'client CPU ms/call':>19}")
    for name, reps in results.items():
        rates = [r[0] for r in reps]
        p50 = statistics.median(_p(r[1], 0.5) for r in reps)
        p99 = statistics.median(_p(r[1], 0.99) for r in reps)
        cpu = statistics.median(r[2] for r in reps)
        rate = f"{statistics.median(rates):.0f} [{min(rates):.0f}-{max(rates):.0f}]"
        print(f"  {name:<26} {rate:>16} {p50:8.1f} {p99:8.1f} {cpu:19.3f}")


if __name__ == "__main__":
    run(BenchSettings())
