"""Marketplace domain logic: the catalogue, installations and command settings (no Quart).

The sync functions take a pydal handle and run inside one unit of work (`db.run`); the
router calls them directly when the marketplace is not deployed beside it (decision
0053), so they are the only code that writes these tables.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import service_table
from flask_core.database import serialize_on
from flask_core.errors import Conflict, NotFound, ServiceError
from flask_core.events import Manifest
from flask_core.logging import get_logger

log = get_logger(__name__)

#: Core services' commands are always available and cannot be disabled (§11).
CORE = frozenset({"community", "identity", "reputation", "marketplace", "router"})
#: Modules serving the same commands: enabling one disables the others (§12 Music).
EXCLUSIVE: tuple[frozenset[str], ...] = (frozenset({"youtube_music", "spotify"}),)
COMMAND_FIELDS = ("role", "user_cooldown", "global_cooldown", "cost", "enabled", "cooldown_message")


def config_key(community_id: int) -> str:
    """The router's cached read of one community's table; invalidated on every change here."""
    return f"marketplace:config:{community_id}"


CATALOGUE_KEY = "marketplace:catalogue"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- the catalogue ------------------------------------------------------------------


def store_manifests(db: Any, manifests: dict[str, dict[str, Any]], urls: dict[str, str]) -> bool:
    """Upsert built-in modules from their manifests; True when something changed."""
    changed = False
    for name, manifest in manifests.items():
        if name == "router":
            continue
        row = db(db.modules.name == name).select().first()
        if row is not None and row.manifest == manifest and row.base_url == urls.get(name):
            continue
        changed = True
        values = {
            "version": manifest.get("version"),
            "description": manifest.get("description"),
            "base_url": urls.get(name),
            "manifest": manifest,
            "last_seen": _now(),
        }
        if row is None:
            db.modules.insert(name=name, kind="builtin", **values)
        else:
            row.update_record(**values)
    return changed


def catalogue(db: Any) -> dict[str, dict[str, Any]]:
    """name → {manifest, kind, base_url} of every module in the catalogue."""
    rows = db(db.modules).select(db.modules.name, db.modules.manifest, db.modules.kind, db.modules.base_url)
    return {
        r.name: {"manifest": r.manifest or {}, "kind": r.kind or "builtin", "base_url": r.base_url}
        for r in rows
    }


def check_external_name(name: str) -> None:
    if name in service_table.PREFIXES or name in CORE:
        raise Conflict("that name belongs to a built-in service", details={"module": name})


def register_external(db: Any, name: str, url: str, manifest: dict[str, Any], secret: str) -> None:
    check_external_name(name)
    row = db(db.modules.name == name).select().first()
    if row is not None and row.kind != "external":
        raise Conflict("that name belongs to a built-in module", details={"module": name})
    values = {
        "version": manifest.get("version"),
        "description": manifest.get("description"),
        "base_url": url,
        "manifest": manifest,
        "kind": "external",
        "secret": secret,
        "last_seen": _now(),
    }
    if row is None:
        db.modules.insert(name=name, **values)
    else:
        row.update_record(**values)


def new_secret() -> str:
    return "wbm_" + secrets.token_urlsafe(32)


def externals(db: Any) -> dict[str, dict[str, Any]]:
    """name → {manifest, base_url, secret} of every external module (for the router only)."""
    rows = db(db.modules.kind == "external").select()
    return {r.name: {"manifest": r.manifest or {}, "base_url": r.base_url, "secret": r.secret} for r in rows}


def module_secret(db: Any, name: str) -> str | None:
    row = db((db.modules.name == name) & (db.modules.kind == "external")).select(db.modules.secret).first()
    return str(row.secret) if row is not None and row.secret else None


# --- per community ------------------------------------------------------------------


def read_config(db: Any, community_id: int) -> dict[str, Any]:
    """What the router caches: enabled modules and the community's command settings."""
    rows = db(db.community_modules.community_id == community_id).select()
    overrides: dict[str, dict[str, Any]] = {}
    for row in db(db.commands.community_id == community_id).select():
        overrides[row.path] = {f: row[f] for f in COMMAND_FIELDS if row[f] is not None}
    return {
        "modules": sorted(r.module for r in rows if r.enabled),
        "installed": sorted(r.module for r in rows),
        "overrides": overrides,
    }


@dataclass(frozen=True, slots=True)
class Installation:
    community_id: int
    module: str
    enabled: bool
    settings: dict[str, Any]
    disabled: tuple[str, ...] = ()  # modules this change switched off (the music rule)

    def to_dict(self) -> dict[str, Any]:
        return {
            "community_id": self.community_id,
            "module": self.module,
            "enabled": self.enabled,
            "settings": self.settings,
            "disabled": list(self.disabled),
        }


def _paths(manifest: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for command in manifest.get("commands", []):
        found.add(command["path"])
        found.update(command.get("aliases", []))
    return found


def _known(db: Any, name: str, *, catalogued: bool) -> dict[str, Any] | None:
    """The module's catalogue entry; unless `catalogued`, a table module whose manifest was
    not read yet (down at provisioning) counts too, its manifest unknown."""
    entry = catalogue(db).get(name)
    if entry is not None:
        return entry
    if not catalogued and name in service_table.PREFIXES and service_table.service(name).serves_commands:
        return {"manifest": {}, "kind": "builtin", "base_url": None}
    return None


def validate_settings(manifest: dict[str, Any], values: dict[str, Any]) -> None:
    schema = manifest.get("settings_schema") or {}
    if not schema:
        if values:
            raise ServiceError("this module has no settings", code="validation_error", status=422, details={})
        return
    import jsonschema  # type: ignore[import-untyped]  # no stubs in the lock; only when settings are written

    try:
        jsonschema.validate(values, schema)
    except jsonschema.ValidationError as exc:
        raise ServiceError(
            "settings do not match the module's settings schema",
            code="validation_error",
            status=422,
            details={"path": [str(p) for p in exc.absolute_path], "problem": exc.message[:300]},
        ) from None
    except jsonschema.SchemaError:
        raise ServiceError("the module's settings schema is broken", code="internal", status=500) from None


def install(
    db: Any,
    community_id: int,
    name: str,
    *,
    enabled: bool = True,
    settings: dict[str, Any] | None = None,
    catalogued: bool = True,
) -> Installation:
    """Install (or change) one module for a community; 409 when its commands collide."""
    if name in CORE:
        raise Conflict(
            "core commands are always available and cannot be installed or disabled",
            code="core_module",
            details={"module": name},
        )
    entry = _known(db, name, catalogued=catalogued)
    if entry is None:
        raise NotFound("unknown module", details={"module": name})
    serialize_on(db, "marketplace", community_id)  # two installs at once see each other
    table = db.community_modules
    query = (table.community_id == community_id) & (table.module == name)
    row = db(query).select().first()
    stored = settings if settings is not None else ((row.settings or {}) if row is not None else {})
    if settings is not None and entry["manifest"]:
        validate_settings(entry["manifest"], settings)
    disabled: list[str] = []
    if enabled:
        rivals = next((group - {name} for group in EXCLUSIVE if name in group), frozenset())
        others = db((table.community_id == community_id) & (table.enabled == True)).select()  # noqa: E712
        cat = catalogue(db)
        mine = _paths(entry["manifest"])
        core_paths = {p for n, e in cat.items() if n in CORE for p in _paths(e["manifest"])}
        clashes = sorted(mine & core_paths)
        blockers = []
        for other in others:
            if other.module == name or other.module in rivals:
                continue
            overlap = mine & _paths(cat.get(other.module, {}).get("manifest", {}))
            if overlap:
                blockers.append(other.module)
                clashes.extend(sorted(overlap))
        if clashes:
            raise Conflict(
                f"{name} would take commands another module already answers here",
                code="command_conflict",
                details={"module": name, "conflicts_with": sorted(set(blockers)), "commands": clashes},
            )
        for other in others:
            if other.module in rivals:
                other.update_record(enabled=False, updated_at=_now())
                disabled.append(other.module)
    now = _now()
    if row is None:
        table.insert(community_id=community_id, module=name, enabled=enabled, settings=stored, updated_at=now)
    else:
        row.update_record(enabled=enabled, settings=stored, updated_at=now)
    log.info("marketplace.installed", community_id=community_id, module=name, enabled=enabled)
    return Installation(community_id, name, enabled, stored, tuple(disabled))


def uninstall(db: Any, community_id: int, name: str) -> bool:
    table = db.community_modules
    gone = db((table.community_id == community_id) & (table.module == name)).delete()
    return bool(gone)


def install_defaults(db: Any, community_id: int, modules: list[str]) -> dict[str, list[str]]:
    """DEFAULT_MODULES for a new community, skipping any that conflict or are unknown (§12)."""
    installed: list[str] = []
    skipped: list[str] = []
    table = db.community_modules
    present = {r.module for r in db(table.community_id == community_id).select(table.module)}
    for name in modules:
        if name in present:  # a choice the community made already stands (a retried provisioning)
            continue
        try:
            install(db, community_id, name, catalogued=False)
        except ServiceError as exc:
            log.warning(
                "marketplace.default_skipped", community_id=community_id, module=name, reason=exc.code
            )
            skipped.append(name)
        else:
            installed.append(name)
    return {"installed": installed, "skipped": skipped}


def installations(db: Any, community_id: int) -> list[dict[str, Any]]:
    cat = catalogue(db)
    rows = db(db.community_modules.community_id == community_id).select(orderby=db.community_modules.module)
    return [
        {
            "community_id": community_id,
            "module": r.module,
            "enabled": bool(r.enabled),
            "settings": r.settings or {},
            "description": (cat.get(r.module, {}).get("manifest") or {}).get("description", ""),
            "updated_at": r.updated_at.isoformat() if r.updated_at else None,
        }
        for r in rows
    ]


def resolve_command(db: Any, path: str) -> tuple[str, str]:
    """(module, canonical path) of a command path or alias in the catalogue."""
    asked = " ".join(path.replace("/", " ").split()).lower()
    for name, entry in sorted(catalogue(db).items()):
        for command in entry["manifest"].get("commands", []):
            if asked == command["path"] or asked in command.get("aliases", []):
                return name, command["path"]
    raise NotFound("unknown command", details={"path": asked})


def patch_command(db: Any, community_id: int, path: str, values: dict[str, Any]) -> dict[str, Any]:
    module, canonical = resolve_command(db, path)
    if module in CORE and values.get("enabled") is False:
        raise Conflict("core commands cannot be disabled", code="core_module", details={"path": canonical})
    query = (db.commands.community_id == community_id) & (db.commands.path == canonical)
    db.commands.update_or_insert(
        query, community_id=community_id, path=canonical, module=module, updated_at=_now(), **values
    )
    return {"community_id": community_id, "path": canonical, "module": module, **values}


def commands(db: Any, community_id: int) -> list[dict[str, Any]]:
    """Every catalogue command as this community sees it (its settings over the manifest's)."""
    config = read_config(db, community_id)
    out = []
    for name, entry in sorted(catalogue(db).items()):
        available = name in CORE or name in config["modules"]
        for command in entry["manifest"].get("commands", []):
            item = {
                "path": command["path"],
                "module": name,
                "description": command.get("description", ""),
                "usage": command.get("usage", ""),
                "role": command.get("role", "everyone"),
                "user_cooldown": command.get("user_cooldown"),
                "global_cooldown": command.get("global_cooldown"),
                "cost": command.get("cost", 0),
                "enabled": True,
                "available": available,
            }
            item.update(config["overrides"].get(command["path"], {}))
            out.append(item)
    return out


def validated_manifest(raw: Any) -> dict[str, Any]:
    return Manifest.model_validate(raw).model_dump(mode="json")
