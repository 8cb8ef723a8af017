"""How long `waddlebot chat '!help'` takes, start-up included, against the running fleet.

The installed console script is run as a user runs it (a fresh process each time):
the figure is the wall time from exec to the printed answer, median of CLI_REPS runs.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.report import Spread, ratio_line
from bench.servers import ServerError, clean_env

CLI_REPS = 5
CLI_BUDGET_MS = 1000.0


def waddlebot_script() -> list[str]:
    """The installed `waddlebot` next to this interpreter, else `python -m waddlebot_cli.main`."""
    script = Path(sys.executable).with_name("waddlebot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "waddlebot_cli.main"]


def chat_once(url: str, data_dir: Path) -> float:
    """Milliseconds for one `waddlebot chat '!help'` that printed the bot's answer."""
    env = clean_env({"ENV": "dev", "DATA_DIR": str(data_dir)})
    started = time.perf_counter()
    done = subprocess.run(
        [*waddlebot_script(), "chat", "!help", "--url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0 or "!commands" not in done.stdout:
        raise ServerError(f"waddlebot chat failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed


def measure_cli(url: str, data_dir: Path, reps: int = CLI_REPS) -> Spread:
    chat_once(url, data_dir)  # the first run warms the OS file cache, as an installed CLI is
    spread = Spread.of([chat_once(url, data_dir) for _ in range(reps)])
    print(f"  waddlebot chat '!help' (start-up + answer), {reps} runs: {spread.show(0)} ms", flush=True)
    return spread


def cli_target_line(spread: Spread) -> str:
    ok = spread.median < CLI_BUDGET_MS
    return ratio_line("5 waddlebot chat start-up + answer", spread.median, "target < 1000 ms", ok, unit=" ms")
