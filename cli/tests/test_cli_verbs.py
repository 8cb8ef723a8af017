"""`waddlebot run`, `chat` and `commands set` as real subprocesses: what a streamer types."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flask_core.testing import free_tcp_port
from waddlebot_cli.testing import process_env

ROOT = Path(__file__).resolve().parents[2]


def clean_env(tmp: Path, port: int, **extra: str) -> dict[str, str]:
    return process_env(tmp / "var", port, **{"LOG_FORMAT": "json", **extra})


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "waddlebot_cli.main", "run"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    finally:
        out.close()


def wait_healthy(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"waddlebot run exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("waddlebot run did not answer /healthz in 60 s")


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "waddlebot_cli.main", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """One `waddlebot run` for the module, with the default 5 s cooldown (these tests are about it)."""
    tmp = tmp_path_factory.mktemp("run")
    port = free_tcp_port()
    env = clean_env(tmp, port)
    log = tmp / "run.log"
    proc = start(env, log)
    try:
        wait_healthy(proc, port, log)
        yield f"http://127.0.0.1:{port}", env
    finally:
        stop(proc)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_run_stops_on_ctrl_c_or_sigterm_with_a_stopped_line_and_exit_0(tmp_path: Path, sig: int) -> None:
    port = free_tcp_port()
    log = tmp_path / "run.log"
    proc = start(clean_env(tmp_path, port, ROUTER_DEFAULT_COOLDOWN="0"), log)
    wait_healthy(proc, port, log)
    assert stop(proc, sig) == 0
    output = log.read_text()
    assert "WaddleBot stopped." in output and "Traceback" not in output
    assert '"event": "runner.stopped"' in output


def test_a_busy_port_says_so_in_one_line_and_exits_1(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli(clean_env(tmp_path, port, ROUTER_DEFAULT_COOLDOWN="0"), "run")
    assert result.returncode == 1
    assert f"port {port} is in use; set PORT=" in result.stderr
    assert "Traceback" not in result.stderr and "starting on" not in result.stderr


def test_chat_imports_no_web_server_and_says_how_to_start_one(tmp_path: Path) -> None:
    env = clean_env(tmp_path, 1, INTERNAL_JWT_SECRET="a-test-secret-of-enough-length-0123456789")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "waddlebot_cli.main", "chat", "!quote"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "waddlebot_cli.chat" in imported
    assert not imported & {"quart", "hypercorn", "httpx", "flask", "waddlebot_router"}
    assert "cannot reach WaddleBot at http://127.0.0.1:1" in result.stderr
    assert "make run" in result.stderr and "--url" in result.stderr


def test_chat_with_a_wrong_url_says_there_is_no_router_there(server: tuple[str, dict[str, str]]) -> None:
    url, env = server
    result = cli(env, "chat", "!quote", "--url", f"{url}/not-here")
    assert result.returncode == 1
    assert (
        "there is no WaddleBot router there" in result.stderr and "not_found not found" not in result.stderr
    )


def test_interactive_chat_leaves_quietly_and_its_banner_says_how(server: tuple[str, dict[str, str]]) -> None:
    url, env = server
    done = cli(env, "chat", "--url", url, stdin="!help\nquit\n")
    assert done.returncode == 0
    assert "exit, quit, Ctrl-D or Ctrl-C" in done.stdout and "Type !commands" in done.stdout
    proc = subprocess.Popen(
        [sys.executable, "-m", "waddlebot_cli.main", "chat", "--url", url],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert "Chatting as viewer" in proc.stdout.readline()  # the prompt is up
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Traceback" not in err and "KeyboardInterrupt" not in err


def test_commands_set_changes_a_cooldown_for_one_platform_server(server: tuple[str, dict[str, str]]) -> None:
    url, env = server
    chat = ("chat", "--platform", "twitch", "--server", "9001", "--url", url)
    unknown = cli(env, "commands", "set", "twitch:424242", "quote", "--cooldown", "0", "--url", url)
    assert unknown.returncode == 1 and "first chat message" in unknown.stderr
    cli(env, *chat, "--role", "broadcaster", "!quote add Never give up - Waddles")
    first, second = cli(env, *chat, "!quote"), cli(env, *chat, "!quote")
    assert "Never give up" in first.stdout and second.stdout == ""  # the default 5 s cooldown: silence
    changed = cli(env, "commands", "set", "twitch:9001", "quote", "--cooldown", "0", "--url", url)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "!quote in twitch:9001: global_cooldown=0s"
    answers = [cli(env, *chat, "!quote") for _ in range(3)]
    assert all("Never give up" in a.stdout for a in answers)
    other = cli(env, "chat", "--platform", "twitch", "--server", "other", "--url", url, "!quote")
    assert other.returncode == 0  # another server is another community, with its own settings
    alias = cli(env, "commands", "set", "twitch:9001", "quote", "rm", "--role", "broadcaster", "--url", url)
    assert alias.stdout.strip() == "!quote remove in twitch:9001: role=broadcaster"
    refused = cli(env, *chat, "--role", "moderator", "!quote remove 1")
    assert "needs broadcaster or higher" in refused.stdout
    bad = cli(env, "commands", "set", "twitch:9001", "nosuch", "--cost", "1", "--url", url)
    assert bad.returncode == 1 and "unknown command" in bad.stderr


def test_run_logs_commands_once_without_request_noise_and_rotates_its_log_file(tmp_path: Path) -> None:
    port = free_tcp_port()
    log_file = tmp_path / "logs" / "waddlebot.log"
    env = clean_env(
        tmp_path,
        port,
        ROUTER_DEFAULT_COOLDOWN="0",
        LOG_LEVEL="INFO",
        LOG_FILE=str(log_file),
        LOG_FILE_MAX_BYTES="2048",
        LOG_FILE_BACKUPS="2",
        ROUTER_MANIFEST_INTERVAL="0.2",  # many manifest polls while we chat
    )
    out = tmp_path / "run.log"
    proc = start(env, out)
    wait_healthy(proc, port, out)
    url = f"http://127.0.0.1:{port}"
    for _ in range(3):
        assert (
            cli(env, "chat", "!quote add a secret line", "--role", "moderator", "--url", url).returncode == 0
        )
    metrics = httpx.get(f"{url}/metrics", timeout=5).text
    polls = [
        line for line in metrics.splitlines()
        if line.startswith("waddlebot_http_requests_total") and "manifest" in line and 'service="memories"' in line
    ]  # fmt: skip
    assert polls and float(polls[0].rsplit(" ", 1)[1]) >= 2  # the manifest polls did happen
    assert stop(proc) == 0
    console = out.read_text()
    assert console.count('"event": "router.command"') == 3
    assert '"http.request"' not in console and "manifest" not in console.replace("manifests_changed", "")
    assert "a secret line" not in console
    files = sorted(p.name for p in log_file.parent.iterdir())
    assert files[0] == "waddlebot.log" and "waddlebot.log.1" in files and len(files) <= 3  # rotated
    assert all(line.startswith("{") for line in log_file.read_text().splitlines())


def test_run_logs_for_people_in_a_terminal(tmp_path: Path) -> None:
    import pty

    port = free_tcp_port()
    env = clean_env(tmp_path, port, ROUTER_DEFAULT_COOLDOWN="0", LOG_FORMAT="auto", LOG_LEVEL="INFO")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "waddlebot_cli.main", "run"], env=env, stdout=follower, stderr=follower
    )
    os.close(follower)
    seen = b""
    try:
        wait_healthy(proc, port, tmp_path / "none.log")
    finally:
        assert stop(proc) == 0
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "runner.started" in text and "WaddleBot stopped." in text
    assert '"event": "runner.started"' not in text  # the console renderer, not JSON
