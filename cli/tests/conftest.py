"""`make run` as a real subprocess (the newcomer's path), for the CLI's end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_URL") and k not in ("ENV", "DATA_DIR", "PORT", "ROUTER_DEFAULT_COOLDOWN")
    }
    env.update(PORT=str(port), DATA_DIR=str(tmp_path / "var"), LOG_LEVEL="WARNING", **extra)
    return env


@contextmanager
def make_run_process(tmp_path: Path, port: int, **extra: str) -> Iterator[tuple[str, dict[str, str]]]:
    env = run_env(tmp_path, port, **extra)
    log_path = tmp_path / "make-run.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        ["make", "-s", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"make run exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail("make run did not answer /healthz within 120 s")
        yield url, env
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture
def make_run(tmp_path: Path, free_port: int) -> Iterator[tuple[str, dict[str, str]]]:
    """`make run` with ROUTER_DEFAULT_COOLDOWN=0 (ARCHITECTURE §12: tests not about cooldowns)."""
    with make_run_process(tmp_path, free_port, ROUTER_DEFAULT_COOLDOWN="0") as running:
        yield running


@pytest.fixture
def make_run_as_shipped(tmp_path: Path, free_port: int) -> Iterator[tuple[str, dict[str, str]]]:
    """`make run` with the shipped defaults (the 5 s cooldown included), as the README describes."""
    with make_run_process(tmp_path, free_port) as running:
        yield running
