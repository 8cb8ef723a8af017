"""Medians, spreads and the printed tables."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.loadgen import RepResult

ERROR_BUDGET = 0.01
WIDTHS = (30, 11, 18, 20, 23)
HEADER = (
    f"{'measurement':<{WIDTHS[0]}} {'load':>{WIDTHS[1]}}  {'events/s':<{WIDTHS[2]}} {'p50 ms':<{WIDTHS[3]}}"
    f" {'p99 ms':<{WIDTHS[4]}}"
    f" {'srv ms/ev':>9} {'srv CPU':>7} {'gen CPU':>7} {'other':>7}  errors"
)


@dataclass(frozen=True, slots=True)
class Spread:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))

    def show(self, digits: int = 0, width: int = 0) -> str:
        digits = digits if self.high < 100 else 0
        text = f"{self.median:.{digits}f} [{self.low:.{digits}f}-{self.high:.{digits}f}]"
        return f"{text:<{width}}"


@dataclass(slots=True)
class Measurement:
    name: str
    load: str
    reps: list[RepResult] = field(default_factory=list)

    def spread(self, pick: Callable[[RepResult], float | None]) -> Spread | None:
        values = [v for r in self.reps if (v := pick(r)) is not None]
        return Spread.of(values) if values else None

    @property
    def rate(self) -> Spread:
        spread = self.spread(lambda r: r.events_per_s)
        assert spread is not None
        return spread

    @property
    def p99(self) -> Spread:
        spread = self.spread(lambda r: r.p99_ms)
        assert spread is not None
        return spread

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.reps)

    @property
    def checked(self) -> int:
        return sum(r.checked for r in self.reps)

    @property
    def failed(self) -> bool:
        """More than 1 % of the checked events were wrong (or nothing was checked)."""
        return self.checked == 0 or self.errors > ERROR_BUDGET * self.checked

    def row(self) -> str:
        p50 = self.spread(lambda r: r.p50_ms)
        server = self.spread(lambda r: r.server_ms_per_event)
        gen = self.spread(lambda r: r.gen_cpu)
        srv = self.spread(lambda r: r.server_cpu)
        other = self.spread(lambda r: r.other_cpu)
        figures = f"{self.rate.show(0, WIDTHS[2])} {_opt(p50, 1, WIDTHS[3])} {self.p99.show(1, WIDTHS[4])}"
        shares = " ".join(_num(s, ".0%", 7) for s in (srv, gen, other))
        usage = f"{_num(server, '.2f', 9)} {shares}"
        head = f"{self.name:<{WIDTHS[0]}} {self.load:>{WIDTHS[1]}}"
        return f"{head}  {figures} {usage}  {self.errors}/{self.checked}"

    def problems(self) -> list[str]:
        seen: list[str] = []
        for rep in self.reps:
            seen.extend(s for s in rep.samples if s not in seen)
        return seen[:5]


def _opt(spread: Spread | None, digits: int, width: int) -> str:
    return spread.show(digits, width) if spread else f"{'-':<{width}}"


def _num(spread: Spread | None, fmt: str, width: int) -> str:
    return f"{format(spread.median, fmt) if spread else '-':>{width}}"


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = (line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
            model = next(names, model)
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.1f} GiB RAM"
    except (OSError, ValueError):
        pass
    return f"{os.cpu_count()} cores ({model}){memory}, Python {platform.python_version()}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def ratio_line(label: str, value: float, target: str = "", ok: bool | None = None, unit: str = "x") -> str:
    figure = f"{value:.2f}{unit}" if unit == "x" else f"{value:.1f}{unit}"
    mark = "info" if ok is None else verdict(ok)
    return f"  {label:<56} {figure:>10}   {target:<16} {mark}"
