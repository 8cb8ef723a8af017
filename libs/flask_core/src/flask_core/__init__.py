"""WaddleBot's shared core: what a service imports, from one place.

`from flask_core import create_app, CoreSettings, require_service, ServiceError` — these
names are the public API, pinned by `tests/test_exported_members.py`, so the modules
behind them can move without breaking services. Names load on first use (PEP 562), so
`import flask_core.settings` stays light and no import cycle runs through this file.
Outbox and delivery internals stay in their modules (`flask_core.outbox`,
`flask_core.delivery`); `flask_core.app.resources()` stays there too (`flask_core.resources`
is a module); the pytest plugin is `flask_core.testing`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import add_ready_check, create_app, settings_of
    from .auth import (
        PortalUser,
        current_service,
        current_user,
        mint_service_token,
        require_service,
        require_user,
    )
    from .collector import CollectorRuntime, CollectorSettings, create_collector_app, current_runtime
    from .database import AsyncDAL, Definer, ensure_index, is_integrity_error
    from .errors import (
        BadRequest,
        Conflict,
        DependencyUnavailable,
        Forbidden,
        NotFound,
        RateLimited,
        ServiceError,
        Unauthorized,
        UnsupportedMediaType,
        ValidationFailed,
    )
    from .events import (
        CommandRequest,
        Delivery,
        Event,
        EventResult,
        Manifest,
        ManifestCommand,
        Reply,
        Role,
        Status,
        role_at_least,
    )
    from .http import HttpClient
    from .logging import configure_logging, get_logger
    from .metrics import counter, gauge, histogram
    from .module import Accepted, ModuleSpec, Responses, chat, module_blueprint
    from .resources import Resources
    from .service_table import SERVICES, Kind, Service
    from .settings import CommaList, CoreSettings, parse_rate
    from .templates import expand

__all__ = [
    "SERVICES",
    "Accepted",
    "AsyncDAL",
    "BadRequest",
    "CollectorRuntime",
    "CollectorSettings",
    "CommaList",
    "CommandRequest",
    "Conflict",
    "CoreSettings",
    "Definer",
    "Delivery",
    "DependencyUnavailable",
    "Event",
    "EventResult",
    "Forbidden",
    "HttpClient",
    "Kind",
    "Manifest",
    "ManifestCommand",
    "ModuleSpec",
    "NotFound",
    "PortalUser",
    "RateLimited",
    "Reply",
    "Resources",
    "Responses",
    "Role",
    "Service",
    "ServiceError",
    "Status",
    "Unauthorized",
    "UnsupportedMediaType",
    "ValidationFailed",
    "add_ready_check",
    "chat",
    "configure_logging",
    "counter",
    "create_app",
    "create_collector_app",
    "current_runtime",
    "current_service",
    "current_user",
    "ensure_index",
    "expand",
    "gauge",
    "get_logger",
    "histogram",
    "is_integrity_error",
    "mint_service_token",
    "module_blueprint",
    "parse_rate",
    "require_service",
    "require_user",
    "role_at_least",
    "settings_of",
]

#: Home module of each public name (a name moves: change it here, callers keep working).
_HOMES: dict[str, tuple[str, ...]] = {
    "app": ("add_ready_check", "create_app", "settings_of"),
    "auth": (
        "PortalUser",
        "current_service",
        "current_user",
        "mint_service_token",
        "require_service",
        "require_user",
    ),
    "collector": ("CollectorRuntime", "CollectorSettings", "create_collector_app", "current_runtime"),
    "database": ("AsyncDAL", "Definer", "ensure_index", "is_integrity_error"),
    "errors": (
        "BadRequest",
        "Conflict",
        "DependencyUnavailable",
        "Forbidden",
        "NotFound",
        "RateLimited",
        "ServiceError",
        "Unauthorized",
        "UnsupportedMediaType",
        "ValidationFailed",
    ),
    "events": (
        "CommandRequest",
        "Delivery",
        "Event",
        "EventResult",
        "Manifest",
        "ManifestCommand",
        "Reply",
        "Role",
        "Status",
        "role_at_least",
    ),
    "http": ("HttpClient",),
    "logging": ("configure_logging", "get_logger"),
    "metrics": ("counter", "gauge", "histogram"),
    "module": ("Accepted", "ModuleSpec", "Responses", "chat", "module_blueprint"),
    "resources": ("Resources",),
    "service_table": ("SERVICES", "Kind", "Service"),
    "settings": ("CommaList", "CoreSettings", "parse_rate"),
    "templates": ("expand",),
}
_HOME_OF: dict[str, str] = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module 'flask_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
