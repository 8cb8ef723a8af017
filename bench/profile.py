"""`python -m bench.profile`: profile the fleet's server process under one bench load.

Starts the embedded (or, with `--fleet`, PostgreSQL + Redis) single-process fleet under
`bench.profiled`, seeds it as `make bench` does, warms it up, then switches the profiler
on for `--seconds` of closed-loop load (32 connections) and prints the figures that do
not depend on how busy the box is:

- server CPU per event (from /proc, profiler overhead included for cProfile: compare
  cProfile runs with cProfile runs);
- Python function calls per event (cProfile; repeatable to a few per cent);
The fleet is first warmed up until each of the bench's 5,000 users was seen once (a
user's first event creates its identity, a one-time cost per user).

- the top frames (pyinstrument: the event loop's thread, by wall-clock samples;
  cProfile: self time, every thread).

    python -m bench.profile --kind batch --profiler cprofile --seconds 5
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import pstats
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path

import httpx

from bench.fleet import EMBEDDED, Backend, fleet_backend, fleet_server, fleet_urls, seed, service_token
from bench.loadgen import LoadSpec, RepResult, run_rep
from bench.servers import Server, clean_env, echo_ready, free_port, ready_path
from bench.settings import BenchSettings
from bench.workload import (
    BATCH_PATH,
    BATCH_SIZE,
    ECHO_PATH,
    EVENTS_PATH,
    USERS,
    Kind,
    build_request,
    check_answer,
)

CONCURRENCY = 32


def _spec(url: str, pid: int, kind: Kind, run_id: str, tag: str, token: str, seconds: float) -> LoadSpec:
    return LoadSpec(url, kind, run_id, tag, token, CONCURRENCY, 0.0, 0.2, seconds, pid)


@contextlib.contextmanager
def _backend(fleet: bool, run_id: str) -> Iterator[Backend]:
    if not fleet:
        yield EMBEDDED
        return
    urls = fleet_urls()
    if urls is None:
        raise SystemExit("--fleet needs TEST_DATABASE_URL and TEST_REDIS_URL (source var/ci/test-env.sh)")
    with fleet_backend(run_id, *urls) as backend:
        yield backend


def _settle(pid: int, limit: float = 180.0) -> None:
    """Wait until the server is idle (under 10 % of a core for a second): the identity
    look-ups of the warm-up's first sightings go on in the background after it."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = _cpu_seconds(pid)
        time.sleep(1.0)
        if before is None or (after := _cpu_seconds(pid)) is None or after - before < 0.1:
            return


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _warm_up(pool: Pool, url: str, pid: int, run_id: str, token: str) -> None:
    """Batches until every bench user was seen once (each user's first event creates its
    identity, a one-time cost per user), so the profile shows the steady state."""
    seconds = 3.0
    for attempt in range(6):
        spec = _spec(url, pid, Kind.BATCH, run_id, f"warm{attempt}", token, seconds)
        result: RepResult = pool.apply(run_rep, (spec,))
        if result.checked >= USERS:
            break
        seconds *= 2
    _settle(pid)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=("batch", "event", "echo"), default="batch")
    profilers = ("pyinstrument", "cprofile", "callgrind")
    parser.add_argument("--profiler", choices=profilers, default="pyinstrument")
    parser.add_argument("--requests", type=int, default=20, help="callgrind: requests counted, one at a time")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--fleet", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--out", type=Path, default=None, help="keep the report here (default: print)")
    args = parser.parse_args()
    kind = Kind(args.kind)
    run_id = uuid.uuid4().hex[:10]
    workdir = Path(tempfile.mkdtemp(prefix="wbprof-"))
    prefix = workdir / "profile"
    if kind is Kind.ECHO:
        if args.profiler != "callgrind":
            raise SystemExit("--kind echo is for --profiler callgrind (the bare echo's instruction count)")
        try:
            return _echo_instructions(args, workdir, prefix)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    pool = multiprocessing.get_context("spawn").Pool(1)
    try:
        with _backend(args.fleet, run_id) as backend:
            data_dir = workdir / "fleet"
            server = fleet_server(data_dir, backend)
            if args.profiler == "callgrind":
                server.argv = [
                    "valgrind", "--tool=callgrind", "--instr-atstart=no",
                    f"--callgrind-out-file={prefix.with_suffix('.cg')}",
                    sys.executable, "-m", "waddlebot_cli.main", "run",
                ]  # fmt: skip
            else:
                profiled = [sys.executable, "-m", "bench.profiled", str(prefix), args.profiler]
                server.argv = [*profiled, "--", "run"]
            try:
                server.start(ready_path("/readyz"), timeout=900 if args.profiler == "callgrind" else 60)
                seed(server, data_dir, run_id)
                token = service_token(data_dir)
                if args.profiler == "callgrind":
                    count = _count_instructions(server.url, server.pid, kind, run_id, data_dir, args.requests)
                    server.stop()
                    print(_callgrind_report(args, kind, count, prefix))
                    return 0
                _warm_up(pool, server.url, server.pid, run_id, token)
                server.process.send_signal(signal.SIGUSR1)  # type: ignore[union-attr]
                spec = _spec(server.url, server.pid, kind, run_id, "prof", token, args.seconds)
                result: RepResult = pool.apply(run_rep, (spec,))
                server.process.send_signal(signal.SIGUSR2)  # type: ignore[union-attr]
                deadline = time.monotonic() + 120
                while not prefix.with_suffix(".done").exists() and time.monotonic() < deadline:
                    time.sleep(0.2)
            finally:
                server.stop()
                problems = server.log_problems()
                if problems:
                    print(f"server log: {len(problems)} warning+ lines; first: {problems[0][:600]}")
                    (workdir.parent / f"{workdir.name}-server.log").write_text(
                        "\n".join(problems), encoding="utf-8"
                    )
        report = _report(args, result, prefix)
        if args.out is not None:
            args.out.write_text(report, encoding="utf-8")
        print(report)
    finally:
        pool.terminate()
        pool.join()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if result.errors == 0 else 1


def _echo_instructions(args: argparse.Namespace, workdir: Path, prefix: Path) -> int:
    """The bare Quart echo's instructions per request, the reference of the single-event target."""
    port = free_port()
    argv = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no",
        f"--callgrind-out-file={prefix.with_suffix('.cg')}",
        sys.executable, "-m", "bench.echo_server", "bare", str(port), str(workdir),
    ]  # fmt: skip
    root = str(Path(__file__).resolve().parent.parent)
    env = clean_env({"PYTHONPATH": os.pathsep.join(p for p in (root, BenchSettings().pythonpath) if p)})
    server = Server("bare echo", argv, env, workdir / "echo.log", port)
    try:
        server.start(echo_ready, timeout=900)
        bodies = [build_request(Kind.ECHO, "cg", "cg", seq) for seq in range(args.requests)]
        with httpx.Client(base_url=server.url, timeout=600.0) as client:
            for request in bodies[:20]:  # warm-up
                client.post(ECHO_PATH, content=request.body, headers={"Content-Type": "application/json"})
            subprocess.run(["callgrind_control", "--zero", str(server.pid)], check=True, capture_output=True)
            subprocess.run(
                ["callgrind_control", "-i", "on", str(server.pid)], check=True, capture_output=True
            )
            for request in bodies:
                answer = client.post(
                    ECHO_PATH, content=request.body, headers={"Content-Type": "application/json"}
                )
                if problems := check_answer(Kind.ECHO, request, answer.status_code, answer.content):
                    raise SystemExit(f"wrong answer under callgrind: {problems[0]}")
            subprocess.run(
                ["callgrind_control", "-i", "off", str(server.pid)], check=True, capture_output=True
            )
    finally:
        server.stop()
    print(_callgrind_report(args, Kind.ECHO, len(bodies), prefix))
    return 0


def _count_instructions(url: str, pid: int, kind: Kind, run_id: str, data_dir: Path, requests: int) -> int:
    """Instructions the server ran for `requests` requests sent one after another."""
    bodies = [build_request(kind, run_id, "cg", seq) for seq in range(requests)]
    with httpx.Client(base_url=url, timeout=600.0) as client:

        def post(path: str, body: bytes) -> httpx.Response:
            # a fresh token each time: they live 60 s, and this is slow under valgrind
            token = service_token(data_dir)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            return client.post(path, content=body, headers=headers)

        for seq in range(USERS // BATCH_SIZE):  # one at a time: every user seen once, nothing overloaded
            post(BATCH_PATH, build_request(Kind.BATCH, run_id, "cg-warm", seq).body)
        path = BATCH_PATH if kind is Kind.BATCH else EVENTS_PATH
        post(path, build_request(kind, run_id, "cg-warm1", 0).body)
        _settle(pid)
        subprocess.run(["callgrind_control", "--zero", str(pid)], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-i", "on", str(pid)], check=True, capture_output=True)
        for request in bodies:
            answer = post(path, request.body)
            problems = check_answer(kind, request, answer.status_code, answer.content)
            if problems:
                raise SystemExit(f"wrong answer under callgrind: {problems[0]}")
        subprocess.run(["callgrind_control", "-i", "off", str(pid)], check=True, capture_output=True)
    return sum(r.events for r in bodies)


def _callgrind_report(args: argparse.Namespace, kind: Kind, events: int, prefix: Path) -> str:
    out = prefix.with_suffix(".cg")
    files = sorted(out.parent.glob(out.name + "*"))
    total = 0
    for f in files:
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    text = (
        f"kind={kind.value} backend={'fleet' if args.fleet else 'embedded'} profiler=callgrind"
        f" requests={args.requests} events={events}\n"
        f"instructions (Ir), whole server process, every thread: {total:,}"
        f" = {total / max(1, events) / 1e6:.2f} M per event"
    )
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
        for f in files:  # for callgrind_annotate
            shutil.copy(f, args.out.with_name(args.out.name + f.name.removeprefix(out.name) + ".cg"))
    return text


def _report(args: argparse.Namespace, result: RepResult, prefix: Path) -> str:
    events = result.events_per_s * args.seconds
    per_event = f"{result.server_ms_per_event:.3f}" if result.server_ms_per_event is not None else "?"
    lines = [
        f"kind={args.kind} backend={'fleet' if args.fleet else 'embedded'} profiler={args.profiler}"
        f" seconds={args.seconds:g} ({BATCH_SIZE if args.kind == 'batch' else 1} events per request)",
        f"events {events:.0f}, {result.events_per_s:.0f}/s, server CPU {per_event} ms/event,"
        f" errors {result.errors} of {result.checked}",
    ]
    if args.profiler == "cprofile" and prefix.with_suffix(".prof").exists():
        stats = pstats.Stats(str(prefix.with_suffix(".prof")))
        calls = sum(v[1] for v in stats.stats.values())  # type: ignore[attr-defined]
        # the profiler runs for the whole repetition, and every request of it is answered in it
        if args.out is not None:
            shutil.copy(prefix.with_suffix(".prof"), args.out.with_suffix(".prof"))
        per_event = calls / max(1, result.checked)
        lines.append(f"python calls per event: {per_event:.0f} ({calls} calls, {result.checked} events)")
    session = prefix.with_suffix(".pyisession")
    if args.out is not None and session.exists():
        shutil.copy(session, args.out.with_suffix(".pyisession"))
    text = prefix.with_suffix(".txt")
    lines.append(text.read_text(encoding="utf-8") if text.exists() else "(no profile written)")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
