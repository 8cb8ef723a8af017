"""`waddlebot run` with a profiler that `bench.profile` switches on and off by signal.

SIGUSR1 starts the profiler, SIGUSR2 stops it and writes its report to the paths given
on the command line, so only the measured load is profiled (not start-up or seeding):

    python -m bench.profiled <out-prefix> <pyinstrument|cprofile> -- <waddlebot args>

pyinstrument samples the event loop's thread (1 ms interval, whole stacks, async
off so every task on the loop counts); cProfile (3.12+: every thread, through
sys.monitoring) counts every Python call, which gives calls per event and self time.
"""

from __future__ import annotations

import cProfile
import pstats
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any


class Switch:
    def __init__(self, prefix: Path, kind: str) -> None:
        self.prefix = prefix
        self.kind = kind
        self.profiler: Any = None

    def start(self, _signum: int, _frame: FrameType | None) -> None:
        if self.profiler is not None:
            return
        if self.kind == "pyinstrument":
            from pyinstrument import Profiler

            self.profiler = Profiler(interval=0.001, async_mode="disabled")
            self.profiler.start()
        else:
            self.profiler = cProfile.Profile()
            self.profiler.enable()

    def stop(self, _signum: int, _frame: FrameType | None) -> None:
        profiler, self.profiler = self.profiler, None
        if profiler is None:
            return
        if self.kind == "pyinstrument":
            profiler.stop()
            text = profiler.output_text(unicode=False, color=False, show_all=False)
            self.prefix.with_suffix(".txt").write_text(text, encoding="utf-8")
            profiler.last_session.save(
                str(self.prefix.with_suffix(".pyisession"))
            )  # re-render: pyinstrument --load
        else:
            profiler.disable()
            profiler.dump_stats(str(self.prefix.with_suffix(".prof")))
            with self.prefix.with_suffix(".txt").open("w", encoding="utf-8") as out:
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("tottime").print_stats(40)
        self.prefix.with_suffix(".done").write_text("ok", encoding="utf-8")


def main() -> int:
    prefix, kind, sep, *rest = sys.argv[1:]
    if sep != "--" or kind not in ("pyinstrument", "cprofile"):
        print(__doc__, file=sys.stderr)
        return 2
    switch = Switch(Path(prefix), kind)
    signal.signal(signal.SIGUSR1, switch.start)
    signal.signal(signal.SIGUSR2, switch.stop)
    from waddlebot_cli.main import main as waddlebot

    return waddlebot(rest)


if __name__ == "__main__":
    raise SystemExit(main())
