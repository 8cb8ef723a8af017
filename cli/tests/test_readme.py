"""Every example in README.md is run, and the answers it shows are the answers you get.

The `sh` blocks are read in order. `make run` is started for real (as in
test_make_run); each `uv run waddlebot …` line runs `python -m waddlebot_cli.main …` in
the same environment (what `uv run` executes), and the `# …` lines after a command are
the output it must print, where `…` stands for any text. `make test` is the one line not
run here: it is this test suite.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
NOT_RUN = {"make test": "it runs this test suite"}
SERVER = "make run"


def examples() -> list[tuple[str, list[str]]]:
    """(command line, expected output lines) for every line of every ```sh block."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S):
        for line in block.splitlines():
            if line.startswith("# ") and found:
                found[-1][1].append(line[2:])
            elif line.strip():
                found.append((line.split("  #")[0].strip(), []))
    return found


def matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern, actual) is not None


def test_the_readme_has_examples_and_each_is_handled() -> None:
    commands = [command for command, _ in examples()]
    assert SERVER in commands and "uv run waddlebot chat" in commands
    for command in commands:
        assert command in NOT_RUN or command == SERVER or command.startswith("uv run waddlebot "), command


def test_every_readme_example_answers_as_shown(make_run_as_shipped: tuple[str, dict[str, str]]) -> None:
    url, env = make_run_as_shipped
    env = {**env, "ROUTER_URL": url}
    ran = 0
    for command, expected in examples():
        if command == SERVER or command in NOT_RUN:
            continue
        argv = [sys.executable, "-m", "waddlebot_cli.main", *shlex.split(command)[3:]]
        interactive = len(argv) == 4  # `waddlebot chat` alone: a prompt
        done = subprocess.run(
            argv,
            env=env,
            input="!help\nquit\n" if interactive else None,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert done.returncode == 0, f"{command}: {done.stderr}"
        lines = done.stdout.splitlines()
        assert len(lines) >= len(expected), f"{command}: {done.stdout!r}"
        for want, got in zip(expected, lines, strict=False):
            assert matches(want, got), f"{command}:\n  README: {want}\n  got:    {got}"
        ran += 1
    assert ran >= 8
