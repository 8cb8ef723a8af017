"""`python -m bench.profile`: profile the fleet's server process under one bench load.

Starts the embedded (or, with `--fleet`, PostgreSQL + Redis) single-process fleet under
`bench.profiled`, seeds it as `make bench` does, warms it up, then switches the profiler
on for `--seconds` of closed-loop load (32 connections) and prints the figures that do
not depend on how busy the box is:

- server CPU per event (from /proc, profiler overhead included for cProfile: compare
  cProfile runs with cProfile runs);
- Python function calls per event (cProfile; repeatable to a few per cent);
- the top frames (pyinstrument: the event loop's thread, by wall-clock samples;
  cProfile: self time, every thread).

    python -m bench.profile --kind batch --profiler cprofile --seconds 5
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import pstats
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench.fleet import EMBEDDED, Backend, fleet_backend, fleet_server, fleet_urls, seed, service_token
from bench.loadgen import LoadSpec, RepResult, run_rep
from bench.servers import ready_path
from bench.workload import BATCH_SIZE, Kind

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


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=("batch", "event"), default="batch")
    parser.add_argument("--profiler", choices=("pyinstrument", "cprofile"), default="pyinstrument")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--fleet", action="store_true", help="PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--out", type=Path, default=None, help="keep the report here (default: print)")
    args = parser.parse_args()
    kind = Kind.BATCH if args.kind == "batch" else Kind.EVENT
    run_id = uuid.uuid4().hex[:10]
    workdir = Path(tempfile.mkdtemp(prefix="wbprof-"))
    prefix = workdir / "profile"
    pool = multiprocessing.get_context("spawn").Pool(1)
    try:
        with _backend(args.fleet, run_id) as backend:
            data_dir = workdir / "fleet"
            server = fleet_server(data_dir, backend)
            server.argv = [sys.executable, "-m", "bench.profiled", str(prefix), args.profiler, "--", "run"]
            try:
                server.start(ready_path("/readyz"))
                seed(server, data_dir, run_id)
                token = service_token(data_dir)
                pool.apply(run_rep, (_spec(server.url, server.pid, kind, run_id, "warm", token, 2.0),))
                server.process.send_signal(signal.SIGUSR1)  # type: ignore[union-attr]
                spec = _spec(server.url, server.pid, kind, run_id, "prof", token, args.seconds)
                result: RepResult = pool.apply(run_rep, (spec,))
                server.process.send_signal(signal.SIGUSR2)  # type: ignore[union-attr]
                deadline = time.monotonic() + 120
                while not prefix.with_suffix(".done").exists() and time.monotonic() < deadline:
                    time.sleep(0.2)
            finally:
                server.stop()
        report = _report(args, result, prefix)
        if args.out is not None:
            args.out.write_text(report, encoding="utf-8")
        print(report)
    finally:
        pool.terminate()
        pool.join()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if result.errors == 0 else 1


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
        # every call in the window counts, including the requests in flight at its edges
        lines.append(f"python calls per event: {calls / max(1.0, events):.0f}")
    text = prefix.with_suffix(".txt")
    lines.append(text.read_text(encoding="utf-8") if text.exists() else "(no profile written)")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
