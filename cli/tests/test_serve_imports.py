"""What a `waddlebot serve <prefix>` process has imported once it is up (decision 0087).

Each fleet process must stay small (issue 19: idle VmRSS ≤ 80 MB), so the real entry
point (`python -m waddlebot_cli.main serve <prefix>`, as the fleet, compose and
Kubernetes start it) is run, asked for /healthz and /readyz, stopped with SIGTERM, and
the names in its `sys.modules` (written at exit by a `sitecustomize` on PYTHONPATH) are
checked: no other CLI verb's module, and none of the packages that only a rare path of
one service needs. Each lazy import is exercised by that service's own tests (the
iCalendar feed, OAuth sign-in, password sign-in, module settings).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flask_core import service_table
from waddlebot_cli.testing import free_tcp_port, process_env

#: Modules of the other `waddlebot` verbs: `serve` builds only its own subparser.
OTHER_VERBS = (
    "waddlebot_cli.chat",
    "waddlebot_cli.client",
    "waddlebot_cli.commands",
    "waddlebot_cli.deploy",
    "waddlebot_cli.dispatcher",
    "waddlebot_cli.fleet",
    "waddlebot_cli.keys",
    "waddlebot_cli.outbox",
    "waddlebot_cli.proxy",
    "waddlebot_cli.users",
)
#: No service loads a general JOSE library: tokens are HS256 with `hmac` (decision 0088).
JOSE = ("joserfc", "cryptography.hazmat")  # redis imports the bare package for its version
#: Per service, packages only one rare path needs (loaded inside the function that uses them).
RARE = {
    "alias": ("icalendar", "authlib", "argon2", "jsonschema"),
    "calendar": ("icalendar",),  # the .ics feed a calendar app fetches
    "identity": ("authlib", "httpx2"),  # OAuth sign-in and linking
    "portal": ("argon2",),  # password sign-in
    "marketplace": ("jsonschema",),  # writing a module's settings
    "router": ("jsonschema", "icalendar", "authlib", "argon2"),
}

#: Loaded with their first use, not at start-up: the outbound HTTP transport with the first
#: call out (most modules never call out in the fleet), cryptography's Ed25519 with the
#: first Discord interaction (a gateway-only collector never verifies one).
ON_FIRST_USE = {
    "memories": ("aiohttp", "httpx_aiohttp"),
    "discord": ("aiohttp", "httpx_aiohttp", "cryptography.hazmat"),
}

DUMP = """
import atexit, json, os, sys

def _dump() -> None:
    with open(os.environ["SERVE_MODULES_OUT"], "w", encoding="utf-8") as f:
        json.dump(sorted(sys.modules), f)

atexit.register(_dump)
"""


def modules_of_serve(prefix: str, tmp_path: Path) -> set[str]:
    """Start `waddlebot serve prefix`, probe it, SIGTERM it; the modules it had imported."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(DUMP, encoding="utf-8")
    out = tmp_path / f"{prefix}.json"
    port = free_tcp_port()
    env = process_env(
        tmp_path / "var",
        port,
        ENV="dev",
        HOST="127.0.0.1",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(hook), *filter(None, [os.environ.get("PYTHONPATH")])]),
        SERVE_MODULES_OUT=str(out),
    )
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    cli = [sys.executable, "-m", "waddlebot_cli.main"]
    migrate = {
        k: v for k, v in env.items() if k != "PYTHONPATH"
    }  # serve does not migrate; the fleet does first
    done = subprocess.run(
        [*cli, "migrate", "--services", prefix],
        env=migrate,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    argv = [*cli, "serve", prefix]
    log = tmp_path / f"{prefix}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 90
        healthy = False
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
            if healthy:
                break
            time.sleep(0.2)
        assert healthy, log.read_text(errors="replace")[-2000:]
        httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)  # the database and cache are touched
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert out.exists(), f"serve {prefix} did not exit cleanly:\n{log.read_text(errors='replace')[-2000:]}"
    return set(json.loads(out.read_text(encoding="utf-8")))


def _loaded(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


@pytest.mark.parametrize("prefix", sorted(RARE))
def test_serve_loads_its_own_service_only(prefix: str, tmp_path: Path) -> None:
    if prefix not in service_table.installed():
        pytest.skip(f"{prefix} is not installed here")
    modules = modules_of_serve(prefix, tmp_path)
    own = service_table.service(prefix).package
    assert own in modules, "the probe did not see the service itself"
    assert "waddlebot_cli.serve" in modules
    assert [m for m in OTHER_VERBS if m in modules] == []
    assert {p: _loaded(modules, p) for p in (*RARE[prefix], *JOSE) if _loaded(modules, p)} == {}


@pytest.mark.parametrize("prefix", sorted(ON_FIRST_USE))
def test_serve_defers_what_only_its_first_use_needs(prefix: str, tmp_path: Path) -> None:
    if prefix not in service_table.installed():
        pytest.skip(f"{prefix} is not installed here")
    modules = modules_of_serve(prefix, tmp_path)
    assert service_table.service(prefix).package in modules
    assert {p: _loaded(modules, p) for p in ON_FIRST_USE[prefix] if _loaded(modules, p)} == {}
