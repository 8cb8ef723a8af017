"""`make run` as a real subprocess, and the chat CLI talking to it (the newcomer's path)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def chat(env: dict[str, str], url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "waddlebot_cli.main", "chat", *args, "--url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_chat_cli_gets_answers_from_make_run(make_run: tuple[str, dict[str, str]]) -> None:
    url, env = make_run
    added = chat(
        env,
        url,
        "!quote add Never give up - Waddles",
        "--platform",
        "twitch",
        "--user",
        "alice",
        "--role",
        "moderator",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "Quote #1 added."
    shown = chat(env, url, "!quote 1", "--platform", "twitch", "--user", "bob")
    assert shown.returncode == 0, shown.stderr
    assert "Never give up" in shown.stdout and "Waddles" in shown.stdout
    refused = chat(env, url, "!quote add sneaky", "--platform", "twitch", "--user", "bob")
    assert refused.returncode == 0
    assert "moderator" in refused.stdout
    commands = chat(env, url, "!commands")
    assert "!quote" in commands.stdout
    ready = httpx.get(f"{url}/readyz", timeout=5)
    assert ready.status_code == 200
    assert set(ready.json()["services"]) >= {"router", "memories"}


def test_chat_cli_exits_1_on_http_errors(make_run: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = make_run
    wrong_secret = {**env, "ENV": "test", "INTERNAL_JWT_SECRET": "x" * 40, "PORTAL_JWT_SECRET": "y" * 40}
    result = chat(wrong_secret, url, "!quote")
    assert result.returncode == 1
    assert "401" in result.stderr
    unreachable = chat(env, "http://127.0.0.1:1", "!quote")
    assert unreachable.returncode == 1
