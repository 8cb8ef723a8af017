"""The bench's knobs from the environment, in one typed place (ARCHITECTURE §3: only
Settings read the environment).

`BenchSettings` holds `make bench`'s knobs (BENCH_*), `LoadSettings` those of `make load`
(LOAD_SETTLE) and `LocustSettings` what the orchestrator hands the Locust process
(LOAD_*). `inherited_environment()` is the caller's environment that server and Locust
processes start from (the bench scrubs and adds names to it, see `bench.servers`).
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    bench_reps: int = 3
    bench_duration: float = 5.0
    bench_warmup: float = 1.0
    bench_fleet: bool = True  # BENCH_FLEET=0 skips the PostgreSQL + Redis backend
    bench_opsdroid: bool = True  # BENCH_OPSDROID=0 skips opsdroid (it needs a Python 3.11 and PyPI once)
    #: PYTHONPATH the echo servers extend (so `bench` is importable from any working directory).
    pythonpath: str = ""
    #: Where pyenv keeps its Pythons (opsdroid needs a 3.11).
    pyenv_root: str = "~/.pyenv"


class LoadSettings(BaseSettings):
    """`make load` (bench.load): how long to wait for the replies after the load stops."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    load_settle: float = Field(default=60.0, gt=0)


class LocustSettings(BaseSettings):
    """What `bench.load` passes its Locust process (bench/load/locustfile.py)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, env_prefix="LOAD_")

    eventsub_secret: str
    channels: Annotated[list[str], NoDecode] = ["1001"]
    user_rate: float = Field(default=5.0, gt=0)
    run_seconds: float = Field(default=30.0, gt=0)
    ids_file: str

    @field_validator("channels", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return [c for c in value.split(",") if c] if isinstance(value, str) else value


def inherited_environment() -> dict[str, str]:
    """The caller's whole environment, for child processes to start from."""
    return dict(os.environ)
