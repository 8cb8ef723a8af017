"""structlog set-up: JSON in production, console in a terminal, context in contextvars.

Optionally also JSON lines to a file rotated by size (LOG_FILE, LOG_FILE_MAX_BYTES,
LOG_FILE_BACKUPS), beside stderr.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from .settings import CoreSettings

_SECRET_KEYS = (
    "token", "secret", "password", "authorization", "api_key", "response_url",
    "interaction_token", "cookie",
)  # fmt: skip
_configured = False


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Never log secrets: values under secret-looking keys are replaced."""
    for key in list(event_dict):
        lowered = key.lower()
        if any(part in lowered for part in _SECRET_KEYS) and event_dict[key] is not None:
            event_dict[key] = "[redacted]"
    return event_dict


def configure_logging(
    level: str = "INFO",
    fmt: str = "auto",
    *,
    file: Path | str | None = None,
    file_max_bytes: int = 10 * 1024 * 1024,
    file_backups: int = 5,
) -> None:
    """Configure structlog and route stdlib loggers through the same processors.

    stderr gets the console renderer in a terminal (`fmt="auto"`) and JSON otherwise;
    `file`, when given, gets JSON lines and rotates at `file_max_bytes`, keeping
    `file_backups` old files.
    """
    global _configured
    if _configured:
        return
    _configured = True
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Any = structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # below LOG_LEVEL: no processor runs at all
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(shared, renderer))
    handlers: list[logging.Handler] = [handler]
    if file:
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(
            path, maxBytes=file_max_bytes, backupCount=file_backups, encoding="utf-8"
        )
        rotating.setFormatter(_formatter(shared, structlog.processors.JSONRenderer()))
        handlers.append(rotating)
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level.upper())
    for noisy in ("hypercorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _formatter(shared: list[Any], renderer: Any) -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def configure_from(settings: CoreSettings) -> None:
    """`configure_logging` with a CoreSettings' LOG_LEVEL, LOG_FORMAT and LOG_FILE*."""
    configure_logging(
        settings.log_level,
        settings.log_format,
        file=settings.log_file,
        file_max_bytes=settings.log_file_max_bytes,
        file_backups=settings.log_file_backups,
    )


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)


def bind_context(**values: Any) -> None:
    structlog.contextvars.bind_contextvars(**values)


def clear_context() -> None:
    structlog.contextvars.clear_contextvars()
