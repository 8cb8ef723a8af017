"""The bench's knobs from the environment (BENCH_*), in one typed place."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    bench_reps: int = 3
    bench_duration: float = 5.0
    bench_warmup: float = 1.0
    bench_fleet: bool = True  # BENCH_FLEET=0 skips the PostgreSQL + Redis backend
    bench_opsdroid: bool = True  # BENCH_OPSDROID=0 skips opsdroid (it needs a Python 3.11 and PyPI once)
