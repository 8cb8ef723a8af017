"""Find the installed services of the service table (entry-point group `waddlebot.services`).

The table (`flask_core.service_table`) says which services exist; an entry point says
which are installed here. The dispatcher mounts the installed rows of the table; an
entry point the table does not know is skipped with an error line (it has no
`<PREFIX>_URL`, no port, no place in the fleet).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from quart import Quart

from flask_core import service_table
from flask_core.logging import get_logger

ENTRY_POINT_GROUP = service_table.ENTRY_POINT_GROUP
COMMANDS_GROUP = "waddlebot.commands"
AppFactory = Callable[..., Quart]
log = get_logger(__name__)


def discover(only: list[str] | None = None) -> dict[str, AppFactory]:
    """Map each service prefix to its `create_app` factory, sorted by prefix."""
    found: dict[str, AppFactory] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if only is not None and ep.name not in only:
            continue
        if ep.name not in service_table.PREFIXES:
            log.error("runner.service_not_in_table", service=ep.name, value=ep.value)
            continue
        try:
            factory: Any = ep.load()
        except Exception as exc:
            log.error("runner.service_load_failed", service=ep.name, error=str(exc))
            raise
        found[ep.name] = factory
    return dict(sorted(found.items()))


def service_commands() -> list[Callable[[Any], None]]:
    """`register(subparsers)` of every installed service that adds `waddlebot` subcommands."""
    return [ep.load() for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name)]
