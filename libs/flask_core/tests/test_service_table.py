"""The service table, the service folders and the installed entry points agree."""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from flask_core import service_table
from flask_core.service_table import SERVICES, Service, callees, check_table
from flask_core.settings import CoreSettings

ROOT = Path(__file__).resolve().parents[3]
SERVICE_FOLDERS = ("router_service", "ai_service", "collectors/*", "interactions/*", "core_services/*")


def _folders() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for pattern in SERVICE_FOLDERS:
        for path in sorted(ROOT.glob(pattern)):
            if (path / "pyproject.toml").is_file():
                found[path.relative_to(ROOT).as_posix()] = path
    return found


def _entry_points(folder: Path) -> dict[str, str]:
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    group: dict[str, str] = project.get("entry-points", {}).get(service_table.ENTRY_POINT_GROUP, {})
    return group


def test_the_table_is_consistent_in_itself() -> None:
    assert check_table() == []
    assert check_table((*SERVICES, Service("memories", "interaction", 8124, calls=("nobody",)))) == [
        "memories: listed twice",
        "port 8124 is used twice",
        "memories: calls unknown service 'nobody'",
    ]


def test_every_prefix_of_architecture_2_is_in_the_table() -> None:
    assert set(service_table.PREFIXES) >= {
        "router", "ai", "twitch", "discord", "slack", "alias", "shoutout", "inventory", "calendar",
        "memories", "youtube_music", "spotify", "labels", "browser_source", "timers", "moderation",
        "identity", "community", "marketplace", "reputation", "portal", "gateway_admin",
    }  # fmt: skip


def test_every_service_folder_is_a_row_with_its_entry_point_and_package() -> None:
    folders = _folders()
    assert folders, f"no service folders under {ROOT}"
    for name, path in folders.items():
        points = _entry_points(path)
        assert len(points) == 1, f"{name}: expected one `waddlebot.services` entry point, got {points}"
        ((prefix, target),) = points.items()
        row = service_table.service(prefix)  # KeyError: the folder's service is not in the table
        assert row.folder == name, f"{prefix}: the table says {row.folder}, the folder is {name}"
        assert target == f"{row.package}.app:create_app", f"{prefix}: entry point {target}"
        assert (path / "src" / row.package / "__init__.py").is_file(), f"{prefix}: no src/{row.package}"
        project = tomllib.loads((path / "pyproject.toml").read_text())["project"]
        assert project["name"] == row.distribution


def test_every_row_with_a_folder_is_installed_and_none_without() -> None:
    folders = _folders()
    installed = {ep.name for ep in entry_points(group=service_table.ENTRY_POINT_GROUP)}
    assert installed <= set(service_table.PREFIXES), (
        f"not in the table: {installed - set(service_table.PREFIXES)}"
    )
    for row in SERVICES:
        has_folder = row.folder in folders
        assert has_folder == (row.prefix in installed), (
            f"{row.prefix}: folder {'present' if has_folder else 'missing'} but "
            f"{'installed' if row.prefix in installed else 'not installed'} (run make install)"
        )
    assert service_table.installed() == frozenset(installed)


def test_calls_expand_groups_to_prefixes() -> None:
    router = set(callees("router"))
    assert {"twitch", "discord", "slack", "memories", "ai", "browser_source", "community"} <= router
    assert "portal" not in router and "router" not in router
    assert set(callees("portal")) == set(service_table.PREFIXES) - {"portal"}
    assert callees("twitch") == ("router",)
    assert callees("shoutout") == ("router", "twitch")


def test_only_interaction_ai_and_commanding_core_services_are_modules() -> None:
    modules = {s.prefix for s in service_table.modules()}
    assert {"memories", "ai", "alias", "identity", "community", "marketplace", "reputation"} <= modules
    assert modules.isdisjoint({"router", "twitch", "discord", "slack", "portal", "gateway_admin"})


def test_budgets_default_per_kind() -> None:
    assert service_table.service("ai").command_budget == 30.0
    assert service_table.service("memories").command_budget == 5.0


def test_default_modules_are_the_installed_interaction_and_ai_modules() -> None:
    installed = {ep.name for ep in entry_points(group=service_table.ENTRY_POINT_GROUP)}
    expected = [s.prefix for s in SERVICES if s.kind in ("interaction", "ai") and s.prefix in installed]
    expected = [p for p in expected if p != "spotify"]  # §12 Music: exclusive with youtube_music
    assert service_table.default_modules() == expected
    assert "memories" in expected and "router" not in expected and "twitch" not in expected


def test_every_row_has_a_base_url_setting(make_settings: object) -> None:
    s: CoreSettings = make_settings(timers_url="http://timers:8129/")  # type: ignore[operator]
    for row in SERVICES:
        assert f"{row.prefix}_url" in CoreSettings.model_fields
    assert s.service_url("timers") == "http://timers:8129"
    assert s.configured_url("moderation") is None


@pytest.mark.parametrize(
    ("prefix", "kind", "folder"),
    [
        ("alias", "interaction", "interactions/alias"),
        ("twitch", "collector", "collectors/twitch"),
        ("identity", "core", "core_services/identity"),
        ("ai", "ai", "ai_service"),
    ],
    ids=["interaction", "collector", "core", "ai"],
)
def test_folders_follow_the_kind(prefix: str, kind: str, folder: str) -> None:
    assert service_table.default_folder(prefix, kind) == folder  # type: ignore[arg-type]
