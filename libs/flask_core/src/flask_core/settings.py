"""Typed settings from the environment: the only place that reads os.environ."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from . import service_table
from .service_table import PREFIXES as PREFIXES  # every prefix has a `<PREFIX>_URL` setting

_PLACEHOLDERS = {"", "changeme", "change-me", "change_me", "secret", "placeholder", "xxx"}
_MIN_SECRET_LEN = 32
_SECRET_FIELDS = ("internal_jwt_secret", "portal_jwt_secret")

CommaList = Annotated[list[str], NoDecode]


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def normalise_database_url(url: str) -> str:
    """pydal wants `postgres://`; accept the common `postgresql://` spellings too."""
    for prefix in ("postgresql+psycopg2://", "postgresql://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    return url


def is_placeholder(value: str | None) -> bool:
    """A secret that is missing, a well-known placeholder, or too short to be safe."""
    if value is None:
        return True
    lowered = value.strip().lower()
    return (
        lowered in _PLACEHOLDERS
        or lowered.startswith("change")
        or "placeholder" in lowered
        or len(value) < _MIN_SECRET_LEN
    )


class CoreSettings(BaseSettings):
    """Settings every process shares (ARCHITECTURE §2 names); each service subclasses it.

    A service's own secrets and limits live in its own class (the Twitch secrets in
    `TwitchSettings`, the router's limits in `RouterSettings`), never here.
    """

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    env: Literal["dev", "test", "prod"] = "prod"
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("./var")
    public_url: str | None = None
    database_url: str = ""
    database_read_urls: CommaList = Field(default_factory=list)
    db_pool_size: int = 10
    redis_url: str | None = None
    redis_key_prefix: str = "wb:"
    default_modules: CommaList = Field(default_factory=service_table.default_modules)
    internal_jwt_secret: SecretStr | None = None
    portal_jwt_secret: SecretStr | None = None
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_file: Path | None = None  # LOG_FILE: also write JSON lines here, rotated by size
    log_file_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    log_file_backups: int = Field(default=5, ge=0, le=100)
    max_body_bytes: int = 1024 * 1024
    http_breaker_threshold: int = 5  # consecutive failures that open a downstream's circuit
    http_breaker_reset: float = 10.0  # seconds before an open circuit lets one trial through
    # The live feed of a community (`flask_core.feed`): written by the router and the portal.
    feed_keep: int = Field(default=50, ge=1, le=1000)  # FEED_KEEP: recent entries kept per community
    feed_flush_interval: float = Field(default=0.1, gt=0, le=5)  # FEED_FLUSH_INTERVAL: seconds per batch
    feed_buffer: int = Field(default=10_000, ge=1)  # FEED_BUFFER: entries buffered at most (oldest dropped)
    #: PORTAL_DIST_DIR: the built SPA (`portal_frontend/dist`) that `/` serves (flask_core.spa);
    #: None = `./portal_frontend/dist` when it holds an index.html.
    portal_dist_dir: Path | None = None
    #: SERVE_GRACEFUL_TIMEOUT: seconds `waddlebot serve` lets requests in flight finish on SIGTERM
    serve_graceful_timeout: float = Field(default=10.0, gt=0, le=300)

    # Service base URLs, one `<PREFIX>_URL` per row of the service table (`router_url`,
    # `memories_url` …); None = this process's own address. Read them with service_url().
    for _prefix in PREFIXES:
        __annotations__[f"{_prefix}_url"] = "str | None"
        vars()[f"{_prefix}_url"] = None
    del _prefix

    _split_lists = field_validator("database_read_urls", "default_modules", mode="before")(
        staticmethod(_split)
    )

    @field_validator("database_url", mode="after")
    @classmethod
    def _normalise_db(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("database_read_urls", mode="after")
    @classmethod
    def _normalise_replicas(cls, value: list[str]) -> list[str]:
        return [normalise_database_url(v) for v in value]

    @model_validator(mode="after")
    def _secrets(self) -> CoreSettings:
        for name in _SECRET_FIELDS:
            current = getattr(self, name)
            raw = current.get_secret_value() if current is not None else None
            if not is_placeholder(raw):
                continue
            if self.env == "dev":
                setattr(self, name, SecretStr(dev_secret(self.data_dir, name)))
            else:
                raise ValueError(
                    f"{name.upper()} is missing or a placeholder (ENV={self.env}); "
                    f"set a random value of at least {_MIN_SECRET_LEN} characters, "
                    "or run with ENV=dev to generate one under DATA_DIR"
                )
        return self

    @property
    def self_url(self) -> str:
        """This process's own base URL (what single-process mode calls itself)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    def configured_url(self, prefix: str) -> str | None:
        """`<PREFIX>_URL` as set, or None; KeyError for a prefix the service table lacks."""
        if prefix not in PREFIXES:
            raise KeyError(prefix)
        value: str | None = getattr(self, f"{prefix}_url")
        return value.rstrip("/") if value else None

    def service_url(self, prefix: str) -> str:
        """Base URL of the service that serves `/<prefix>`."""
        return self.configured_url(prefix) or self.self_url

    def sqlite_path(self) -> Path:
        return self.data_dir / "waddlebot.sqlite"

    def effective_database_url(self) -> str:
        """DATABASE_URL, or SQLite under DATA_DIR when it is not set."""
        url = self.database_url or f"sqlite://{self.sqlite_path().resolve()}"
        if url.startswith("sqlite://") and not url.startswith("sqlite:///"):
            # A relative SQLite path lives under DATA_DIR, never the working directory.
            url = f"sqlite://{(self.data_dir / url.removeprefix('sqlite://')).resolve()}"
        return url

    def secret(self, name: Literal["internal", "portal"]) -> str:
        value = self.internal_jwt_secret if name == "internal" else self.portal_jwt_secret
        if value is None:  # pragma: no cover - the validator guarantees it
            raise RuntimeError(f"{name} secret is not configured")
        return value.get_secret_value()


def dev_secret(data_dir: Path, name: str) -> str:
    """Generate a dev secret once into DATA_DIR/secrets and read it back afterwards."""
    folder = data_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    try:
        fd = path.open("x", encoding="utf-8")
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with fd:
        value = secrets.token_urlsafe(48)
        fd.write(value)
    path.chmod(0o600)
    return value


def parse_rate(text: str) -> tuple[int, float]:
    """Parse '20/30s', '1/1s', '100/1m' or '5/2h' into (count, window seconds)."""
    try:
        count_text, window_text = text.strip().split("/", 1)
        count = int(count_text)
        units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
        for suffix in ("ms", "s", "m", "h"):
            if window_text.endswith(suffix):
                number = window_text[: -len(suffix)] or "1"
                return count, float(number) * units[suffix]
        return count, float(window_text)
    except ValueError as exc:
        raise ValueError(f"invalid rate {text!r}; expected like '20/30s'") from exc


_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: str | float | int) -> float:
    """Seconds from '5s', '500ms', '2m', '1h', '0' or a plain number of seconds (>= 0)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        unit = next((u for u in ("ms", "s", "m", "h") if text.endswith(u)), "")
        try:
            seconds = float(text[: len(text) - len(unit)]) * _DURATION_UNITS.get(unit, 1.0)
        except ValueError:
            raise ValueError(f"invalid duration {value!r}; expected like '5s', '2m' or '0'") from None
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"invalid duration {value!r}; it must be 0 or more")
    return seconds


def inherited_env(keep: Callable[[str], bool]) -> dict[str, str]:
    """The hand-off to a child process: this process's variables whose names `keep` accepts
    (the child reads them through its own settings)."""
    return {name: value for name, value in os.environ.items() if keep(name)}


def set_default_env(**values: str) -> None:
    """Default environment values for child settings (e.g. ENV=dev for `waddlebot run`)."""
    for name, value in values.items():
        os.environ.setdefault(name.upper(), value)


class TestRunSettings(BaseSettings):
    """What a test run is pointed at (`flask_core.testing` and the bench read these)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    ci: bool = False
    test_database_url: str = ""
    test_redis_url: str = "redis://127.0.0.1:6379/0"
    faults_events: int = 2000  # notifications per fault-suite run (`make faults`)
