"""Server processes under test: start, wait until ready, stop (SIGINT, then kill)."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from bench.settings import inherited_environment

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
#: Names the fleet must not inherit from the caller's shell (the bench sets what it needs).
_SCRUBBED = ("ENV", "DATA_DIR", "PORT", "HOST", "INTERNAL_JWT_SECRET", "PORTAL_JWT_SECRET", "LOG_LEVEL")

Probe = Callable[[httpx.Client, str], bool]


class ServerError(RuntimeError):
    """A server did not start (or died); the message carries the end of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without service URLs, secrets or ports, plus `extra`."""
    env = {
        k: v
        for k, v in inherited_environment().items()
        if k not in _SCRUBBED and not (k.endswith("_URL") and not k.startswith("TEST_")) and k != "PGOPTIONS"
    }
    env.update(extra)
    return env


def ready_path(path: str) -> Probe:
    """Ready when GET `path` answers 200."""

    def probe(client: httpx.Client, url: str) -> bool:
        return client.get(url + path).status_code == 200

    return probe


def echo_ready(client: httpx.Client, url: str) -> bool:
    return client.post(url + "/echo/api/v1/echo", json={"event_id": "probe"}).status_code == 200


class Server:
    """One server subprocess, its own session, its output in `log_path`."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log_path: Path, port: int) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, probe: Probe, timeout: float = START_TIMEOUT) -> float:
        """Start and wait until `probe` passes; returns the start-up time in seconds."""
        started = time.monotonic()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() - started < timeout:
                if self.process.poll() is not None:
                    code = self.process.returncode
                    raise ServerError(f"{self.name} exited with {code}:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if probe(client, self.url):
                        return time.monotonic() - started
                time.sleep(0.1)
        self.stop()
        raise ServerError(f"{self.name} was not ready within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> int | None:
        """SIGINT, wait, then SIGKILL; returns the exit code (None when never started)."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"  ! {self.name} ignored SIGINT for {STOP_TIMEOUT:.0f} s; killing it", file=sys.stderr)
                process.kill()
                process.wait()
        return process.returncode

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def log_problems(self) -> list[str]:
        """Log lines at warning level or above (the fleet runs with LOG_LEVEL=WARNING)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        marks = ('"level": "warning"', '"level": "error"', '"level": "critical"', "Traceback", "[ERROR]")
        return [line for line in text.splitlines() if any(m in line for m in marks)]
