"""`python -m bench`: echo baselines, then the router pipelines on the real fleet.

Environment knobs (for development; `make bench` uses the defaults): BENCH_REPS (3),
BENCH_DURATION (5 s), BENCH_WARMUP (1 s), BENCH_FLEET=0 skips the PostgreSQL+Redis run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.pool import Pool
from pathlib import Path
from types import FrameType

import httpx

from bench import memory, moderation, opsdroid, transport
from bench.ai import report as report_ai
from bench.cli_startup import cli_target_line, measure_cli
from bench.fleet import (
    EMBEDDED,
    Backend,
    fleet_backend,
    fleet_server,
    fleet_urls,
    seed,
    service_token,
    start_fleet,
)
from bench.loadgen import REQUEST_TIMEOUT, LoadSpec, RepResult, run_rep
from bench.overlays import overlay_line
from bench.report import HEADER, Measurement, Spread, machine, ratio_line
from bench.servers import Server, ServerError, clean_env, echo_ready, free_port
from bench.settings import BenchSettings
from bench.workload import BATCH_PATH, BATCH_SIZE, USERS, Kind, build_request, check_answer

CONCURRENCY = 32
#: Batches in flight in the batch rows. A collector drains its outbox one batch at a time
#: (flask_core.outbox.OutboxWorker), so a router sees about one batch per collector and
#: replica: 8 batches of 100 (800 events in flight) keep the server's core busy. 32 of
#: them (3,200 events) only queue: on a slow box they outwait the module budget and are
#: answered "unavailable", which measures the queue, not the pipeline.
BATCH_CONCURRENCY = 8
OPEN_RATE = 100.0
SINGLE_VS_ECHO = 0.33
BATCH_VS_OPSDROID = 1.0
OPSDROID_CACHE = Path(__file__).resolve().parent.parent / "var" / "bench"
BATCH_VS_SINGLE = 3.0
P99_BUDGET_MS = 50.0
NEIGHBOUR_NOTE = 0.2


@dataclass(frozen=True, slots=True)
class Plan:
    reps: int = 3
    duration: float = 5.0
    warmup: float = 1.0

    @classmethod
    def from_settings(cls, settings: BenchSettings) -> Plan:
        return cls(settings.bench_reps, settings.bench_duration, settings.bench_warmup)


@dataclass(slots=True)
class Pipeline:
    backend: Backend
    single: Measurement
    open_loop: Measurement
    batch: Measurement
    #: The single event again after the batch row: every bench user has been seen, so no
    #: event pays the one-time creation of its viewer's identity (the steady state).
    warm: Measurement
    cli: Spread | None = None
    idle_rss_mb: float | None = None


class Bench:
    def __init__(self, plan: Plan, pool: Pool, workdir: Path) -> None:
        self.plan = plan
        self.pool = pool
        self.workdir = workdir
        self.run_id = uuid.uuid4().hex[:10]
        self.measurements: list[Measurement] = []

    def measure(
        self, name: str, server: Server, kind: Kind, token_dir: Path | None, *, rate: float = 0.0
    ) -> Measurement:
        connections = BATCH_CONCURRENCY if kind is Kind.BATCH else CONCURRENCY
        load = f"{rate:.0f}/s open" if rate else f"{connections} conn"
        m = Measurement(name, load)
        for rep in range(self.plan.reps):
            spec = LoadSpec(
                base_url=server.url,
                kind=kind,
                run_id=self.run_id,
                tag=f"{len(self.measurements)}r{rep}",
                token=service_token(token_dir) if token_dir else None,
                concurrency=0 if rate else connections,
                rate=rate / (BATCH_SIZE if kind is Kind.BATCH else 1),
                warmup=self.plan.warmup,
                duration=self.plan.duration,
                server_pid=server.pid,
            )
            m.reps.append(self._run(spec))
        self.measurements.append(m)
        print(m.row(), flush=True)
        for problem in m.problems():
            print(f"    ! {problem}", flush=True)
        return m

    def _run(self, spec: LoadSpec, rep: Callable[[LoadSpec], RepResult] = run_rep) -> RepResult:
        """One repetition in the generator process; short waits keep signals prompt."""
        pending = self.pool.apply_async(rep, (spec,))
        deadline = time.monotonic() + spec.warmup + spec.duration + REQUEST_TIMEOUT + 30
        while not pending.ready():
            if time.monotonic() > deadline:
                raise TimeoutError("the load generator did not finish in time")
            pending.wait(0.2)
        return pending.get()

    def echo(self, kind: str, name: str) -> Measurement:
        data_dir = self.workdir / f"echo-{kind}"
        data_dir.mkdir()
        port = free_port()
        argv = [sys.executable, "-m", "bench.echo_server", kind, str(port), str(data_dir)]
        root = str(Path(__file__).resolve().parent.parent)  # `bench` importable from any cwd
        path = os.pathsep.join(p for p in (root, BenchSettings().pythonpath) if p)
        env = clean_env({"PYTHONPATH": path})
        server = Server(f"{kind} echo", argv, env, self.workdir / f"echo-{kind}.log", port)
        try:
            server.start(echo_ready)
            return self.measure(name, server, Kind.ECHO, None)
        finally:
            server.stop()

    def opsdroid(self) -> Measurement | None:
        """opsdroid answering `!quote` over its websocket connector (None: not measurable here)."""
        try:
            server = opsdroid.opsdroid_server(self.workdir, OPSDROID_CACHE)
        except opsdroid.Unavailable as exc:
            print(f"  (opsdroid skipped: {exc})", flush=True)
            return None
        m = Measurement("0 opsdroid !quote (ws)", f"{CONCURRENCY} conn")
        try:
            server.start(opsdroid.opsdroid_ready)
            for rep in range(self.plan.reps):
                tag = f"ops{rep}"
                spec = opsdroid.ws_spec(
                    server, self.run_id, tag, CONCURRENCY, self.plan.warmup, self.plan.duration
                )
                m.reps.append(self._run(spec, opsdroid.run_ws_rep))
        finally:
            server.stop()
        self.measurements.append(m)
        print(m.row(), flush=True)
        for problem in m.problems():
            print(f"    ! {problem}", flush=True)
        return m

    def pipeline(self, backend: Backend, short: str) -> Pipeline:
        data_dir = self.workdir / f"fleet-{short}"
        server = fleet_server(data_dir, backend)
        try:
            started = start_fleet(server)
            seed(server, data_dir, self.run_id)
            print(f"  ({backend.label}: fleet ready in {started:.1f} s, 20 communities seeded)", flush=True)
            idle = memory.idle_run_rss(server) if backend is EMBEDDED else None  # before any load
            cli = measure_cli(server.url, data_dir) if backend is EMBEDDED else None  # an idle server
            single = self.measure(f"3 single event [{short}]", server, Kind.EVENT, data_dir)
            name = f"3 single event [{short}]"
            open_loop = self.measure(name, server, Kind.EVENT, data_dir, rate=OPEN_RATE)
            warm_users(server, data_dir, self.run_id)
            batch = self.measure(f"4 batch of {BATCH_SIZE} [{short}]", server, Kind.BATCH, data_dir)
            warm = self.measure(f"3 single event, users known [{short}]", server, Kind.EVENT, data_dir)
        finally:
            server.stop()
            report_log(server)
        return Pipeline(backend, single, open_loop, batch, warm, cli, idle)


def warm_users(server: Server, data_dir: Path, run_id: str) -> None:
    """Every bench user's first event, one batch at a time: the rows after it (batch, single
    event with users known) measure the steady state, not the one-time creation of each
    viewer's identity (the single-event row before it measures that)."""
    started = time.monotonic()
    with httpx.Client(base_url=server.url, timeout=120.0) as client:
        for seq in range(USERS // BATCH_SIZE):
            request = build_request(Kind.BATCH, run_id, "warm", seq)
            headers = {
                "Authorization": f"Bearer {service_token(data_dir)}",
                "Content-Type": "application/json",
            }
            answer = client.post(BATCH_PATH, content=request.body, headers=headers)
            if problems := check_answer(Kind.BATCH, request, answer.status_code, answer.content):
                raise ServerError(f"warming the users up: {problems[0]}")
    print(
        f"  ({USERS:,} users seen once, one batch at a time, in {time.monotonic() - started:.1f} s)",
        flush=True,
    )


def report_log(server: Server) -> None:
    """The fleet's warning and error log lines, counted by event name."""
    counts = Counter(_event_name(line) for line in server.log_problems())
    if counts:
        print("    fleet log (warning+): " + ", ".join(f"{name} x{n}" for name, n in counts.most_common()))


def _event_name(line: str) -> str:
    try:
        record = json.loads(line)
    except ValueError:
        return line.strip()[:80]
    if not isinstance(record, dict):
        return line.strip()[:80]
    return f"{record.get('event', '?')} ({record.get('level', '?')})"


def print_neighbours(measurements: list[Measurement]) -> None:
    """Warn when processes other than server and generator took CPU (a shared box)."""
    embedded = [m for m in measurements if "fleet]" not in m.name]
    shares = [(s.median, m.name) for m in embedded if (s := m.spread(lambda r: r.other_cpu)) is not None]
    if shares and (worst := max(shares))[0] > NEIGHBOUR_NOTE:
        print(
            f"\nnote: other processes used up to {worst[0]:.0%} of a core during '{worst[1]}';"
            " this box is shared, so the figures carry that noise"
        )


def cost_ratio(label: str, base: Measurement, other: Measurement) -> str | None:
    """base / other server CPU per event: the ratio a neighbour-free box would approach."""
    mine, theirs = base.spread(lambda r: r.server_ms_per_event), other.spread(lambda r: r.server_ms_per_event)
    if mine is None or theirs is None or theirs.median == 0:
        return None
    return ratio_line(f"{label}, by server CPU per event", mine.median / theirs.median)


def print_targets(
    bare: Measurement, core: Measurement, pipelines: list[Pipeline], ops: Measurement | None = None
) -> None:
    echo = bare.rate.median
    print("\nratios (medians of events/s) and targets")
    print(ratio_line("2 flask_core echo / bare echo", _div(core.rate.median, echo)))
    if line := cost_ratio("2 flask_core echo / bare echo", bare, core):
        print(line)
    for p in pipelines:
        single, batch = p.single.rate.median, p.batch.rate.median
        print(f" [{p.backend.label}]")
        print(ratio_line("3 single event, first sightings / bare echo", _div(single, echo)))
        share = _div(p.warm.rate.median, echo)
        target = f"target ≥ {SINGLE_VS_ECHO}"
        label = "3 single event, users known / bare echo"
        print(ratio_line(label, share, target, share >= SINGLE_VS_ECHO))
        if line := cost_ratio(label, bare, p.warm):
            print(line)
        print(ratio_line("3 single event / flask_core echo", _div(single, core.rate.median)))
        print(ratio_line("4 batch / bare echo", _div(batch, echo)))
        print(ratio_line("4 batch / flask_core echo", _div(batch, core.rate.median)))
        gain = _div(batch, single)
        target = f"target ≥ {BATCH_VS_SINGLE:.0f}x"
        print(ratio_line("4 batch / single event", gain, target, gain >= BATCH_VS_SINGLE))
        if ops is not None:
            theirs = ops.rate.median
            print(ratio_line("3 single event / opsdroid", _div(single, theirs)))
            share = _div(batch, theirs)
            target = f"target ≥ {BATCH_VS_OPSDROID:.1f}x"
            print(ratio_line("4 batch / opsdroid", share, target, share >= BATCH_VS_OPSDROID))
            if line := cost_ratio("4 batch / opsdroid", ops, p.batch):
                print(line)
        p99 = p.open_loop.p99.median
        ok = p99 < P99_BUDGET_MS
        label = f"3 p99 at {OPEN_RATE:.0f} events/s offered (open loop)"
        print(ratio_line(label, p99, f"target < {P99_BUDGET_MS:.0f} ms", ok, unit=" ms"))
        if p.cli is not None:
            print(cli_target_line(p.cli))
        if p.idle_rss_mb is not None:
            ok = p.idle_rss_mb <= memory.RUN_TARGET_MB
            target = f"target ≤ {memory.RUN_TARGET_MB:.0f} MB"
            print(ratio_line("idle RSS of waddlebot run", p.idle_rss_mb, target, ok, unit=" MB"))


def print_fleet_memory(residents: list[memory.Resident], dev: list[memory.Resident]) -> None:
    """The target on the image's install (bench/memory.py); the development venv beside it."""
    if dev:
        listed = ", ".join(f"{r.name} {r.mb:.0f}" for r in dev)
        print(f"    development venv (dev group, no .pyc), fleet processes (MB): {listed}")
    if not residents:
        if dev:
            print("    image install: not measured (no uv); the target is judged there")
        return
    largest = residents[0]
    ok = largest.mb <= memory.FLEET_TARGET_MB
    target = f"target ≤ {memory.FLEET_TARGET_MB:.0f} MB each"
    name = f"idle RSS, largest fleet process, image install ({largest.name})"
    print(ratio_line(name, largest.mb, target, ok, unit=" MB"))
    listed = ", ".join(f"{r.name} {r.mb:.0f}" for r in residents)
    print(f"    fleet processes (MB): {listed}; total {sum(r.mb for r in residents):.0f} MB")


def _div(a: float, b: float) -> float:
    """a / b, NaN when nothing was measured (NaN compares false: the target misses)."""
    return a / b if b else float("nan")


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    plan = Plan.from_settings(BenchSettings())
    started = time.monotonic()
    print(f"WaddleBot benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(
        f"each figure: median [min-max] of {plan.reps} runs of {plan.duration:.0f} s"
        f" after {plan.warmup:.0f} s warm-up; generator: aiohttp in its own process;"
        "\nsrv ms/ev: server process CPU per event; CPU columns: server / generator / all other"
        " processes, in % of one core\n"
    )
    print(HEADER)
    pool = multiprocessing.get_context("spawn").Pool(1)
    workdir = Path(tempfile.mkdtemp(prefix="wbbench-"))
    try:
        bench = Bench(plan, pool, workdir)
        bare = bench.echo("bare", "1 bare Quart echo")
        core = bench.echo("core", "2 flask_core echo")
        ops = bench.opsdroid() if BenchSettings().bench_opsdroid else None
        pipelines = [bench.pipeline(EMBEDDED, "embedded")]
        residents: list[memory.Resident] = []
        dev_residents: list[memory.Resident] = []
        urls = fleet_urls()
        if not BenchSettings().bench_fleet:
            print("  (fleet backend skipped: BENCH_FLEET=0)")
        elif urls is None:
            print("  (fleet backend skipped: no TEST_DATABASE_URL/TEST_REDIS_URL; see var/ci/test-env.sh)")
        else:
            with fleet_backend(bench.run_id, *urls) as backend:
                pipelines.append(bench.pipeline(backend, "fleet"))
                dev_residents = memory.fleet_rss(workdir, backend)
                if (python := memory.image_python()) is not None:
                    residents = memory.fleet_rss(workdir, backend, python)
        print_targets(bare, core, pipelines, ops)
        print_fleet_memory(residents, dev_residents)
        moderation.run(bench)  # bench/moderation.py: single event with moderation on vs off
        report_ai()
        transport.run(BenchSettings())  # bench/transport.py: the outbound HTTP transports (decision 0089)
        print("\n" + overlay_line(workdir))  # 5: 1,000 overlay sockets receive one alert
        print_neighbours(bench.measurements)
    except ServerError as exc:
        print(f"\nbench: a server failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nbench: interrupted; servers stopped", file=sys.stderr)
        return 130
    finally:
        pool.terminate()
        pool.join()
        shutil.rmtree(workdir, ignore_errors=True)
    failed = [m for m in bench.measurements if m.failed]
    print(f"\ntotal {time.monotonic() - started:.0f} s")
    for m in failed:
        print(f"bench: {m.name} ({m.load}): {m.errors} of {m.checked} events wrong (> 1 %)", file=sys.stderr)
    return 1 if failed else 0
