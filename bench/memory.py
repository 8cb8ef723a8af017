"""Idle memory: the resident set of `waddlebot run` and of every `waddlebot fleet` process.

Read from /proc (VmRSS) once a process answers /readyz and before any load, so the figure
is what an idle bot costs an operator. Targets (issue 19): `waddlebot run` ≤ 150 MB, each
fleet process ≤ 80 MB. `make bench` prints both; `python -m bench.memory` measures only
these (embedded `waddlebot run`, then `waddlebot fleet` on TEST_DATABASE_URL /
TEST_REDIS_URL when set) and exits 1 when a target is missed.

The fleet is measured twice. Once in the development venv (`make install`: the dev group
too, whose packages some libraries pick up when present — structlog loads `rich`, for
one — and sources without `.pyc` where PYTHONDONTWRITEBYTECODE is set). Then, for the
target, as operators run it: the workspace installed the way the Dockerfile installs it
(`uv sync --locked --all-packages --no-dev --no-editable`, bytecode compiled) into
`var/bench/image-venv`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.fleet import EMBEDDED, UNLIMITED, Backend, fleet_backend, fleet_server, fleet_urls, start_fleet
from bench.servers import Server, clean_env, free_port, ready_path
from bench.settings import inherited_environment

REPO = Path(__file__).resolve().parents[1]
IMAGE_VENV = REPO / "var" / "bench" / "image-venv"
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


def _uv() -> list[str] | None:
    if (uv := shutil.which("uv")) is not None:
        return [uv]
    probe = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True, check=False)
    return [sys.executable, "-m", "uv"] if probe.returncode == 0 else None


def workspace_packages() -> list[str]:
    """The names of the uv workspace's members (root pyproject.toml's `members` globs)."""
    root = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    names = []
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        for member in sorted(REPO.glob(pattern)):
            if (project := member / "pyproject.toml").is_file():
                names.append(tomllib.loads(project.read_text(encoding="utf-8"))["project"]["name"])
    return names


def image_python() -> str | None:
    """The Python of the workspace installed as the image installs it (None without uv).

    The workspace's own packages are rebuilt and reinstalled every time: uv keys a local
    package's built wheel on its pyproject.toml, not its sources, so a plain `sync` keeps
    measuring the code of the first install."""
    uv = _uv()
    if uv is None:
        return None
    env = {
        **inherited_environment(),
        "UV_PROJECT_ENVIRONMENT": str(IMAGE_VENV),
        "UV_COMPILE_BYTECODE": "1",  # as the Dockerfile
        "UV_PYTHON_DOWNLOADS": "never",
    }
    argv = [*uv, "sync", "--locked", "--all-packages", "--no-dev", "--no-editable", "--quiet"]
    for name in workspace_packages():
        argv += ["--reinstall-package", name]
    subprocess.run(argv, cwd=REPO, env=env, check=True)
    return str(IMAGE_VENV / "bin" / "python")


def fleet_rss(workdir: Path, backend: Backend, python: str = sys.executable) -> list[Resident]:
    """Start `waddlebot fleet` with `python` on `backend`, read each of its Python processes."""
    data_dir = Path(tempfile.mkdtemp(prefix="fleet-processes-", dir=workdir))
    port = free_port()
    env = clean_env(
        {
            "ENV": "dev",
            "PORT": str(port),
            "DATA_DIR": str(data_dir),
            "ROUTER_USER_RATE_LIMIT": UNLIMITED,
            "ROUTER_COMMUNITY_RATE_LIMIT": UNLIMITED,
            "LOG_LEVEL": "WARNING",
            "FLEET_PORTS": "auto",  # never the table's ports: another fleet may hold them
            **backend.env,
        }
    )
    argv = [python, "-m", "waddlebot_cli.main", "fleet"]
    server = Server("waddlebot fleet", argv, env, data_dir / "fleet.log", port)
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


def main() -> int:
    """Both figures, one line per process; exit 1 when a target is missed."""
    workdir = Path(tempfile.mkdtemp(prefix="wbmem-"))
    missed = False
    try:
        server = fleet_server(workdir / "run", EMBEDDED)
        try:
            start_fleet(server)
            run_mb = idle_run_rss(server) or 0.0
        finally:
            server.stop()
        ok = run_mb <= RUN_TARGET_MB
        missed |= not ok
        print(f"waddlebot run (embedded)  {run_mb:6.1f} MB  target ≤ {RUN_TARGET_MB:.0f} MB  {_verdict(ok)}")
        if (urls := fleet_urls()) is None:
            print("waddlebot fleet: skipped (no TEST_DATABASE_URL/TEST_REDIS_URL; see var/ci/test-env.sh)")
            return int(missed)
        with fleet_backend(uuid.uuid4().hex[:8], *urls) as backend:
            dev = fleet_rss(workdir, backend)
            image = (python := image_python()) and fleet_rss(workdir, backend, python)
        print(f"fleet, development venv: largest {dev[0].name} {dev[0].mb:.1f} MB (not the target's install)")
        print(f"fleet total {sum(r.mb for r in dev):.0f} MB in {len(dev)} processes")
        for r in image or []:
            ok = r.mb <= FLEET_TARGET_MB
            missed |= not ok
            target = f"target ≤ {FLEET_TARGET_MB:.0f} MB"
            print(f"fleet (image install) {r.name:<18} {r.mb:6.1f} MB  {target}  {_verdict(ok)}")
        if not image:
            print("fleet (image install): skipped (no uv to install it with)")
            missed = True
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return int(missed)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


if __name__ == "__main__":
    raise SystemExit(main())
