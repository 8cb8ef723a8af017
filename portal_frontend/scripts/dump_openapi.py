"""Write the portal's OpenAPI document for the generated client (decision 0073).

The spec is taken from the portal app object itself (no server): `create_app()` of
`waddlebot_portal`, then quart-schema's provider. Paths the app does not serve yet come
from `openapi/contract.yaml` (the §11/§12 contract the screens are built against); a
path or schema name the app defines always wins. Each operation says where it came from in
`x-waddlebot-source` (`app` or `contract`). Output is sorted, so a regeneration that
changes nothing leaves `git diff` empty.

    uv run --no-sync python portal_frontend/scripts/dump_openapi.py -o portal_frontend/openapi.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CONTRACT = HERE.parent / "openapi" / "contract.yaml"
PORTAL_PREFIX = "/portal/api/v1/"


async def app_spec(data_dir: Path) -> dict[str, Any] | None:
    """The portal app's own spec, or None when the portal service is not installed.

    Its settings are ENV=dev (no real secrets needed) with a throwaway DATA_DIR, where dev
    writes its generated secrets (PITFALLS): the worktree stays clean.
    """
    try:
        from waddlebot_portal.app import create_app
        from waddlebot_portal.settings import PortalSettings
    except ImportError:
        return None
    app = create_app(PortalSettings(env="dev", data_dir=data_dir))
    async with app.app_context():
        spec: dict[str, Any] = app.extensions["QUART_SCHEMA"].openapi_provider.schema()
    return json.loads(json.dumps(spec, default=str))


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _marked(item: dict[str, Any], source: str) -> dict[str, Any]:
    return {k: ({**v, "x-waddlebot-source": source} if k in METHODS else v) for k, v in item.items()}


def merge(contract: dict[str, Any], real: dict[str, Any] | None) -> dict[str, Any]:
    """The contract's operations, replaced operation by operation by the app's."""
    paths: dict[str, Any] = {p: _marked(item, "contract") for p, item in contract.get("paths", {}).items()}
    components: dict[str, dict[str, Any]] = {
        kind: dict(entries) for kind, entries in contract.get("components", {}).items()
    }
    info = dict(contract["info"])
    if real is not None:
        for path, item in real.get("paths", {}).items():
            if path.startswith(PORTAL_PREFIX):  # the portal's API only, not its probes or docs
                paths[path] = {**paths.get(path, {}), **_marked(item, "app")}
        for kind, entries in real.get("components", {}).items():
            components.setdefault(kind, {}).update(entries)
        info = {"title": "waddlebot portal", "version": str(real.get("info", {}).get("version", "0.1.0"))}
    return {
        "openapi": "3.1.0",
        "info": info,
        "paths": {p: dict(sorted(item.items())) for p, item in sorted(paths.items())},
        "components": {kind: dict(sorted(entries.items())) for kind, entries in sorted(components.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    contract = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="portal-openapi-") as data_dir:
        real = asyncio.run(app_spec(Path(data_dir)))
    document = merge(contract, real)
    args.output.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    sources = [
        op["x-waddlebot-source"]
        for item in document["paths"].values()
        for m, op in item.items()
        if m in METHODS
    ]
    print(
        f"openapi: {len(sources)} operations ({sources.count('app')} from the portal app, "
        f"{sources.count('contract')} from the contract) -> {args.output}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
