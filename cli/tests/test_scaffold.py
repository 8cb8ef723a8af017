"""`make service` generates a service that its own tests, ruff and the service table accept."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flask_core import settings as core_settings
from waddlebot_cli import scaffold

ROOT = Path(__file__).resolve().parents[2]
IGNORED = shutil.ignore_patterns(
    ".venv", "var", ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "node_modules"
)


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    for python in ("python3", sys.executable):
        probe = subprocess.run([python, "-m", "uv", "--version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [python, "-m", "uv"]
    if core_settings.TestRunSettings().ci:
        pytest.fail("uv is not installed (CI=true)")
    pytest.skip("uv is not installed")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of this checkout (without its virtualenv and data) to scaffold into."""
    target = tmp_path / "repo"
    shutil.copytree(ROOT, target, ignore=IGNORED)
    return target


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(UV_OFFLINE="1", UV_PYTHON_DOWNLOADS="never", UV_NO_PROGRESS="1")
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_a_generated_module_passes_its_tests_lint_and_the_table_check(checkout: Path) -> None:
    assert scaffold.main(["polls", "interaction", "--root", str(checkout)]) == 0
    folder = checkout / "interactions" / "polls"
    assert (folder / "src" / "waddlebot_polls" / "manifest.py").is_file()
    uv = _uv()
    for step in (["lock"], ["sync", "--locked", "--all-packages"]):
        done = _run([*uv, *step], checkout)
        assert done.returncode == 0, done.stderr
    tests = _run(
        [*uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider", "interactions/polls",
         "libs/flask_core/tests/test_service_table.py"],
        checkout,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and " failed" not in tests.stdout
    lint = _run([*uv, "run", "--no-sync", "ruff", "check", "interactions/polls"], checkout)
    assert lint.returncode == 0, lint.stdout
    fmt = _run([*uv, "run", "--no-sync", "ruff", "format", "--check", "interactions/polls"], checkout)
    assert fmt.returncode == 0, fmt.stdout


def test_a_new_prefix_gets_a_row_a_free_port_and_a_workspace_member(checkout: Path) -> None:
    # ai_service exists by now: take it out of the copy to generate it afresh
    shutil.rmtree(checkout / "ai_service")
    root = checkout / "pyproject.toml"
    root.write_text(root.read_text().replace(', "ai_service"]', "]", 1))  # the workspace member
    assert scaffold.main(["ai", "ai", "--root", str(checkout)]) == 0
    assert scaffold.main(["stats", "core", "--root", str(checkout)]) == 0
    table = (checkout / scaffold.TABLE).read_text()
    rows = {row.prefix: row for row in scaffold.table_rows(table)}
    assert rows["stats"].kind == "core" and rows["stats"].folder == "core_services/stats"
    assert rows["stats"].port == 8146  # the core block's first free port
    assert table.count('Service("ai"') == 1  # §2 already lists ai: no second row
    pyproject = (checkout / "pyproject.toml").read_text()
    assert '"ai_service"' in pyproject  # not covered by a glob
    assert '"core_services/stats"' not in pyproject  # core_services/* covers it
    assert (checkout / "ai_service" / "src" / "waddlebot_ai" / "manifest.py").is_file()
    core_app = (checkout / "core_services" / "stats" / "src" / "waddlebot_stats" / "app.py").read_text()
    assert "[module_blueprint(SPEC), bp]" not in core_app and "[bp]" in core_app


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("Bad-Name", "interaction", "invalid name"),
        ("class", "interaction", "invalid name"),
        ("ok_name", "plugin", "invalid kind"),
        ("telegram", "collector", "collectors are not generated"),
        ("memories", "interaction", "interactions/memories already exists"),
        ("twitch", "interaction", "twitch is a collector service"),
    ],
    ids=["bad-name", "keyword", "bad-kind", "collector", "exists", "kind-mismatch"],
)
def test_refusals_say_why_and_change_nothing(
    checkout: Path, name: str, kind: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (checkout / scaffold.TABLE).read_text()
    assert scaffold.main([name, kind, "--root", str(checkout)]) == 2
    assert message in capsys.readouterr().err
    assert (checkout / scaffold.TABLE).read_text() == before
