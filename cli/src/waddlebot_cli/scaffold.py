"""`make service name=<prefix> kind=<kind>`: generate a service folder of ARCHITECTURE §2.

    python -m waddlebot_cli.scaffold <prefix> <kind> [--root DIR]

Writes `<folder>/` (pyproject with the `waddlebot.services` entry point, README,
`src/waddlebot_<prefix>/{__init__,app,settings,routes,schemas,service,models,manifest,
asgi}.py`, `tests/` with a conftest and passing tests on the shared fixtures), adds the
row to `flask_core/service_table.py` unless §2 already lists the prefix, and adds the
folder to the workspace when no glob covers it. `uv lock` and `uv sync` (the Makefile
runs them) then install it; `uv run pytest <folder>` passes straight away.
Collectors are not generated: a new platform first extends the Event contract
(`flask_core.events.Platform`) and delivery's limits, which no template can guess.
"""

from __future__ import annotations

import argparse
import fnmatch
import keyword
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

from flask_core.service_table import KINDS, PORT_BLOCKS, Kind, default_folder

from . import scaffold_templates as t

TABLE = Path("libs/flask_core/src/flask_core/service_table.py")
MARKER = "    # make service: new rows go above this line\n"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}[a-z0-9]$")
_ROW = re.compile(r'^\s*Service\("(?P<prefix>[a-z0-9_]+)", "(?P<kind>[a-z]+)", (?P<port>\d+)(?P<rest>.*)$')
_FOLDER = re.compile(r'folder="(?P<folder>[^"]+)"')
GENERATED_KINDS: tuple[Kind, ...] = ("core", "interaction", "ai")


class ScaffoldError(Exception):
    """The service cannot be generated; the message says why."""


@dataclass(frozen=True, slots=True)
class Row:
    prefix: str
    kind: str
    port: int
    folder: str


def table_rows(text: str) -> list[Row]:
    """The rows of the service table file (read as text: it may be another checkout's)."""
    rows = []
    for line in text.splitlines():
        found = _ROW.match(line)
        if found is None:
            continue
        prefix, kind = found["prefix"], _as_kind(found["prefix"], found["kind"])
        folder = _FOLDER.search(found["rest"])
        path = folder["folder"] if folder else default_folder(prefix, kind)
        rows.append(Row(prefix, kind, int(found["port"]), path))
    return rows


def _as_kind(prefix: str, name: str) -> Kind:
    for kind in KINDS:
        if kind == name:
            return kind
    raise ScaffoldError(f"service table: {prefix} has unknown kind {name!r}")


def check_name(prefix: str, kind: str) -> Kind:
    if not _NAME.fullmatch(prefix) or keyword.iskeyword(prefix) or "__" in prefix:
        raise ScaffoldError(
            f"invalid name {prefix!r}: 2-32 characters, lower-case letters, digits and _, "
            "starting with a letter (it becomes /<name>, <NAME>_URL and waddlebot_<name>)"
        )
    if kind == "collector":
        raise ScaffoldError(
            "collectors are not generated: a new platform first needs flask_core.events.Platform "
            "and delivery's limits extended; start from collectors/slack (see CONTRIBUTING.md)"
        )
    for known in GENERATED_KINDS:
        if kind == known:
            return known
    raise ScaffoldError(f"invalid kind {kind!r}: one of {', '.join(GENERATED_KINDS)}")


def next_port(rows: Sequence[Row], kind: Kind) -> int:
    used = {row.port for row in rows}
    for port in PORT_BLOCKS[kind]:
        if port not in used:
            return port
    raise ScaffoldError(f"no free fleet port left in the {kind} block")


def add_row(text: str, prefix: str, kind: Kind, port: int) -> str:
    if MARKER not in text:
        raise ScaffoldError(f"{TABLE}: the marker line {MARKER.strip()!r} is missing")
    row = f'    Service("{prefix}", "{kind}", {port}, calls=("router",)),\n'
    return text.replace(MARKER, row + MARKER, 1)


def add_to_workspace(text: str, folder: str) -> str:
    """Root pyproject with `folder` among the workspace members (unless a glob covers it)."""
    found = re.search(r"^members = \[(?P<items>[^\]]*)\]", text, flags=re.MULTILINE)
    if found is None:
        raise ScaffoldError("pyproject.toml: no [tool.uv.workspace] members line")
    members = re.findall(r'"([^"]+)"', found["items"])
    if any(fnmatch.fnmatch(folder, pattern) for pattern in members):
        return text
    items = found["items"].rstrip()
    return text[: found.start("items")] + f'{items}, "{folder}"' + text[found.end("items") :]


def _names(prefix: str, kind: Kind, port: int, folder: str) -> dict[str, str]:
    return {
        "p": prefix,
        "Name": "".join(part.capitalize() for part in prefix.split("_")),
        "UPPER": prefix.upper(),
        "dist": "waddlebot-" + prefix.replace("_", "-"),
        "title": prefix.replace("_", " ").capitalize(),
        "kind": kind,
        "port": str(port),
        "folder": folder,
    }


def render(prefix: str, kind: Kind, port: int, folder: str) -> dict[str, str]:
    """Relative path -> content of every generated file."""
    names = _names(prefix, kind, port, folder)
    module = kind in ("interaction", "ai")

    def fill(template: str) -> str:
        return Template(template).substitute(names)

    service = fill(t.SERVICE)
    if module:
        old, new = t.SERVICE_COMMAND_IMPORTS
        service = service.replace(old, new) + fill(t.SERVICE_COMMAND)
    readme_names = {
        **names,
        "module_endpoints": fill(t.README_MODULE_ENDPOINTS) if module else "",
        "module_commands": fill(t.README_MODULE_COMMANDS) if module else "",
    }
    pkg = f"src/waddlebot_{prefix}"
    return {
        "pyproject.toml": fill(t.PYPROJECT),
        "README.md": Template(t.README).substitute(readme_names),
        f"{pkg}/__init__.py": fill(t.INIT),
        f"{pkg}/py.typed": "",
        f"{pkg}/app.py": fill(t.APP_MODULE if module else t.APP_CORE),
        f"{pkg}/settings.py": fill(t.SETTINGS),
        f"{pkg}/routes.py": fill(t.ROUTES),
        f"{pkg}/schemas.py": fill(t.SCHEMAS),
        f"{pkg}/service.py": service,
        f"{pkg}/models.py": fill(t.MODELS),
        f"{pkg}/manifest.py": fill(t.MANIFEST_MODULE if module else t.MANIFEST_CORE),
        f"{pkg}/asgi.py": fill(t.ASGI),
        "tests/conftest.py": fill(t.CONFTEST),
        "tests/test_routes.py": fill(t.TEST_ROUTES) + (fill(t.TEST_ROUTES_MODULE) if module else ""),
        "tests/test_service.py": fill(t.TEST_SERVICE),
    }


def scaffold(root: Path, prefix: str, kind_name: str) -> Path:
    """Generate the service under `root` (a checkout); returns its folder."""
    kind = check_name(prefix, kind_name)
    table_path = root / TABLE
    table = table_path.read_text(encoding="utf-8")
    rows = table_rows(table)
    known = {row.prefix: row for row in rows}
    if prefix in known:
        row = known[prefix]
        if row.kind != kind:
            raise ScaffoldError(f"{prefix} is a {row.kind} service in the service table, not {kind}")
        folder, port = row.folder, row.port
    else:
        folder, port = default_folder(prefix, kind), next_port(rows, kind)
    target = root / folder
    if target.exists():
        raise ScaffoldError(f"{folder} already exists")
    for relative, content in render(prefix, kind, port, folder).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    if prefix not in known:
        table_path.write_text(add_row(table, prefix, kind, port), encoding="utf-8")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(add_to_workspace(pyproject.read_text(encoding="utf-8"), folder), encoding="utf-8")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make service", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the prefix: /<name>, <NAME>_URL, package waddlebot_<name>")
    parser.add_argument("kind", help=f"one of {', '.join(GENERATED_KINDS)}")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout (default: here)")
    args = parser.parse_args(argv)
    try:
        folder = scaffold(args.root.resolve(), args.name, args.kind)
    except (ScaffoldError, OSError) as exc:
        print(f"make service: {exc}", file=sys.stderr)
        return 2
    print(f"created {folder.relative_to(args.root.resolve())} (service table and workspace updated)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
