"""Idle memory: the resident set of `waddlebot run` and of every `waddlebot fleet` process.

Read from /proc (VmRSS) once a process answers /readyz and before any load, so the figure
is what an idle bot costs an operator. Targets (issue 19): `waddlebot run` ≤ 150 MB, each
fleet process ≤ 80 MB.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.fleet import UNLIMITED, Backend
from bench.servers import Server, clean_env, free_port, ready_path

RUN_TARGET_MB = 150.0
FLEET_TARGET_MB = 80.0
SETTLE = 2.0  # seconds after ready, so start-up garbage is collected before reading


@dataclass(frozen=True, slots=True)
class Resident:
    name: str
    pid: int
    mb: float


def rss_mb(pid: int) -> float | None:
    """The resident set of `pid` in MB (None when it is gone or off Linux)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _command(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [part.decode(errors="replace") for part in f.read().split(b"\0") if part]
    except OSError:
        return []


def descendants(root: int) -> list[int]:
    """Every process below `root` (children, grandchildren …)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (parent := _parent_of(int(entry))) is not None:
            children.setdefault(parent, []).append(int(entry))
    found, frontier = [], [root]
    while frontier:
        for child in children.get(frontier.pop(), []):
            found.append(child)
            frontier.append(child)
    return found


def _label(pid: int) -> str:
    argv = _command(pid)
    if "serve" in argv and argv.index("serve") + 1 < len(argv):
        return argv[argv.index("serve") + 1]
    if "proxy" in argv:
        return "proxy"
    return os.path.basename(argv[0]) if argv else str(pid)


def idle_run_rss(server: Server) -> float | None:
    """`waddlebot run`'s resident set once it is ready and idle."""
    time.sleep(SETTLE)
    return rss_mb(server.pid)


def fleet_rss(workdir: Path, backend: Backend) -> list[Resident]:
    """Start `waddlebot fleet` on `backend`, read each of its Python processes, stop it."""
    data_dir = workdir / "fleet-processes"
    data_dir.mkdir()
    port = free_port()
    env = clean_env(
        {
            "ENV": "dev",
            "PORT": str(port),
            "DATA_DIR": str(data_dir),
            "ROUTER_USER_RATE_LIMIT": UNLIMITED,
            "ROUTER_COMMUNITY_RATE_LIMIT": UNLIMITED,
            "LOG_LEVEL": "WARNING",
            **backend.env,
        }
    )
    argv = [sys.executable, "-m", "waddlebot_cli.main", "fleet"]
    server = Server("waddlebot fleet", argv, env, workdir / "fleet-processes.log", port)
    try:
        server.start(ready_path("/readyz"), timeout=180.0)
        time.sleep(SETTLE)
        found = []
        for pid in descendants(server.pid):
            argv_of = _command(pid)
            if not argv_of or "python" not in os.path.basename(argv_of[0]):
                continue
            if (mb := rss_mb(pid)) is not None:
                found.append(Resident(_label(pid), pid, mb))
        found.append(Resident("fleet supervisor", server.pid, rss_mb(server.pid) or 0.0))
        return sorted(found, key=lambda r: -r.mb)
    finally:
        server.stop()
