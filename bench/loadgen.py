"""The load generator: a small aiohttp client that runs in its own process.

Closed loop: `concurrency` connections, each sends its next request when the last one
answered; latency is send → answer, counted for answers inside the measured window.
Open loop: requests are scheduled at a fixed rate whatever the server does; latency
runs from each request's *scheduled* send time, so a stalled server cannot hide its
queue (no coordinated omission). Every answer, warm-up included, is checked.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import time
from dataclasses import dataclass, field

import aiohttp

from bench.workload import BATCH_PATH, ECHO_PATH, EVENTS_PATH, Kind, Request, build_request, check_answer

REQUEST_TIMEOUT = 30.0
OPEN_LOOP_CONNECTIONS = 256
MAX_SAMPLES = 5
_PATHS = {Kind.ECHO: ECHO_PATH, Kind.EVENT: EVENTS_PATH, Kind.BATCH: BATCH_PATH}


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """One repetition: warm-up, then `duration` seconds measured."""

    base_url: str
    kind: Kind
    run_id: str
    tag: str
    token: str | None
    concurrency: int  # closed loop when > 0
    rate: float  # open loop: offered requests per second (concurrency == 0)
    warmup: float
    duration: float
    server_pid: int


@dataclass(slots=True)
class RepResult:
    events_per_s: float
    p50_ms: float
    p99_ms: float
    counted: int  # requests inside the window
    checked: int  # events checked, every phase
    errors: int
    samples: list[str]
    gen_cpu: float  # generator CPU, share of one core
    server_ms_per_event: float | None  # server process CPU per event answered in the window
    server_cpu: float | None  # server process CPU, share of one core
    other_cpu: float | None  # every other process (PostgreSQL, Redis, neighbours), share of one core


@dataclass(slots=True)
class _Usage:
    gen: float
    server: float | None
    busy: float | None
    total: float | None


@dataclass(slots=True)
class _Recorder:
    spec: LoadSpec
    lo: float
    hi: float
    latencies: list[float] = field(default_factory=list)
    events: int = 0
    checked: int = 0
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    usage: list[_Usage] = field(default_factory=list)

    def add(self, origin: float, done: float, request: Request, problems: list[str]) -> None:
        self.checked += request.events
        self.errors += len(problems)
        for problem in problems:
            if len(self.samples) < MAX_SAMPLES and problem not in self.samples:
                self.samples.append(problem)
        mark = done if self.spec.concurrency > 0 else origin
        if self.lo <= mark < self.hi:
            self.latencies.append(done - origin)
            self.events += request.events

    async def sample_usage(self) -> None:
        loop = asyncio.get_running_loop()
        for moment in (self.lo, self.hi):
            await asyncio.sleep(max(0.0, moment - loop.time()))
            busy, total = _machine_ticks()
            self.usage.append(_Usage(time.process_time(), _process_ticks(self.spec.server_pid), busy, total))

    def result(self) -> RepResult:
        ordered = sorted(self.latencies)
        window = self.hi - self.lo
        start, end = self.usage if len(self.usage) == 2 else (None, None)
        gen_cpu = (end.gen - start.gen) / window if start and end else 0.0
        server = _delta(start, end, "server")
        busy, total = _delta(start, end, "busy"), _delta(start, end, "total")
        cores = busy / max(1.0, total) * (os.cpu_count() or 1) if busy is not None and total else None
        other = cores - gen_cpu - (server or 0.0) / window if cores is not None else None
        return RepResult(
            events_per_s=self.events / window,
            p50_ms=_percentile(ordered, 50) * 1000,
            p99_ms=_percentile(ordered, 99) * 1000,
            counted=len(ordered),
            checked=self.checked,
            errors=self.errors,
            samples=self.samples,
            gen_cpu=gen_cpu,
            server_ms_per_event=server / self.events * 1000 if server is not None and self.events else None,
            server_cpu=server / window if server is not None else None,
            other_cpu=max(0.0, other) if other is not None else None,
        )


def run_rep(spec: LoadSpec) -> RepResult:
    """Run one repetition (the entry point the bench calls in the generator process)."""
    return asyncio.run(_run(spec))


async def _run(spec: LoadSpec) -> RepResult:
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    rec = _Recorder(spec, start + spec.warmup, start + spec.warmup + spec.duration)
    headers = {"Content-Type": "application/json"}
    if spec.token:
        headers["Authorization"] = f"Bearer {spec.token}"
    limit = spec.concurrency if spec.concurrency > 0 else OPEN_LOOP_CONNECTIONS
    connector = aiohttp.TCPConnector(limit=limit)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    session = aiohttp.ClientSession(spec.base_url, connector=connector, timeout=timeout, headers=headers)
    async with session:
        sampler = asyncio.create_task(rec.sample_usage())
        if spec.concurrency > 0:
            await _closed_loop(session, rec, start)
        else:
            await _open_loop(session, rec, start)
        await sampler
    return rec.result()


async def _send(session: aiohttp.ClientSession, rec: _Recorder, request: Request, origin: float) -> None:
    kind = rec.spec.kind
    try:
        async with session.post(_PATHS[kind], data=request.body) as response:
            raw = await response.read()
        problems = check_answer(kind, request, response.status, raw)
    except (aiohttp.ClientError, TimeoutError) as exc:
        problems = [f"{type(exc).__name__}: {exc}"] * request.events
    rec.add(origin, asyncio.get_running_loop().time(), request, problems)


async def _closed_loop(session: aiohttp.ClientSession, rec: _Recorder, start: float) -> None:
    loop = asyncio.get_running_loop()
    spec, counter = rec.spec, itertools.count()
    await asyncio.sleep(max(0.0, start - loop.time()))

    async def connection() -> None:
        while loop.time() < rec.hi:
            request = build_request(spec.kind, spec.run_id, spec.tag, next(counter))
            await _send(session, rec, request, loop.time())

    await asyncio.gather(*(connection() for _ in range(spec.concurrency)))


async def _open_loop(session: aiohttp.ClientSession, rec: _Recorder, start: float) -> None:
    loop = asyncio.get_running_loop()
    spec = rec.spec
    total = math.ceil((spec.warmup + spec.duration) * spec.rate)
    pending: set[asyncio.Task[None]] = set()
    for seq in range(total):
        due = start + seq / spec.rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        request = build_request(spec.kind, spec.run_id, spec.tag, seq)
        task = asyncio.create_task(_send(session, rec, request, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending, timeout=REQUEST_TIMEOUT + 1)


def _percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values (NaN for none, so no target can pass)."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _delta(start: _Usage | None, end: _Usage | None, name: str) -> float | None:
    first, last = getattr(start, name, None), getattr(end, name, None)
    return last - first if first is not None and last is not None else None


def _process_ticks(pid: int) -> float | None:
    """utime + stime of a process (all its threads), in seconds; None off Linux."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[float | None, float | None]:
    """(busy, total) jiffies of all cores from /proc/stat; (None, None) off Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None, None
    total = sum(values[:8])
    return total - values[3] - values[4], total
