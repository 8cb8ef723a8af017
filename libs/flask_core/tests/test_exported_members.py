"""flask_core's public names are pinned: removing or renaming one is a deliberate change."""

from __future__ import annotations

import importlib
import subprocess
import sys

import flask_core

EXPORTED = [
    "Accepted", "add_ready_check", "AsyncDAL", "BadRequest", "chat", "CollectorRuntime",
    "CollectorSettings", "CommandRequest", "CommaList", "configure_logging", "Conflict",
    "CoreSettings", "counter", "create_app", "create_collector_app", "current_runtime",
    "current_service", "current_user", "Definer", "Delivery", "DependencyUnavailable",
    "ensure_index", "Event", "EventResult", "expand", "Forbidden", "gauge", "get_logger",
    "histogram", "HttpClient", "is_integrity_error", "Kind", "Manifest", "ManifestCommand",
    "mint_service_token", "module_blueprint", "ModuleSpec", "NotFound", "parse_rate",
    "PortalUser", "RateLimited", "Reply", "require_service", "require_user", "Resources",
    "Responses", "Role", "role_at_least", "Service", "ServiceError", "SERVICES", "settings_of",
    "Status", "Unauthorized", "UnsupportedMediaType", "ValidationFailed",
]  # fmt: skip


def test_all_is_the_pinned_list() -> None:
    assert sorted(flask_core.__all__) == sorted(EXPORTED)
    assert set(flask_core._HOME_OF) == set(flask_core.__all__)


def test_every_exported_name_is_the_object_of_its_home_module() -> None:
    for name in flask_core.__all__:
        home = importlib.import_module(f"flask_core.{flask_core._HOME_OF[name]}")
        assert getattr(flask_core, name) is getattr(home, name), name
        assert name in dir(flask_core)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        flask_core.nothing_here  # noqa: B018
    except AttributeError as exc:
        assert "nothing_here" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_the_package_loads_no_web_framework() -> None:
    """`import flask_core.settings` (the CLI, the bench) must not pull in Quart."""
    code = "import sys, flask_core, flask_core.settings; print('quart' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
