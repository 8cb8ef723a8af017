"""Module manifests: probed from the service table's modules, merged into command tables.

Only the table's modules (interaction, AI and the core services with commands) are
probed: collectors and the portal serve no manifest, so asking them is noise.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from pydantic import ValidationError

from flask_core import service_table
from flask_core.errors import DependencyUnavailable
from flask_core.events import Manifest, ManifestCommand
from flask_core.logging import get_logger
from flask_core.resources import Resources
from waddlebot_marketplace import client as marketplace

from .settings import RouterSettings

log = get_logger(__name__)
ROUTER = "router"
#: `res.extras` key: name → (base URL, own secret) of the external modules (decision 0056).
EXTERNALS = "router.externals"
_GONE = object()  # the service answered 404: not deployed
_UNREACHABLE = object()  # refused, timed out or failing: keep what we knew


class CommandSpec(ManifestCommand):
    """A manifest command as one community sees it: its module and per-community overrides."""

    module: str
    enabled: bool = True
    cooldown_message: str | None = None
    alias: bool = False  # one of the community's aliases (waddlebot_router.aliases)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()


class ModuleRegistry:
    """What each reachable service offers: commands and event subscriptions."""

    def __init__(self, res: Resources, settings: RouterSettings, own: Manifest) -> None:
        self.res = res
        self.settings = settings
        self.manifests: dict[str, Manifest] = {ROUTER: own}
        self.generation = ""
        self.loaded = asyncio.Event()
        self._lock = asyncio.Lock()
        self._seeded = False
        self._recompute()

    def _recompute(self) -> None:
        blob = json.dumps(
            {k: m.model_dump(mode="json") for k, m in sorted(self.manifests.items())}, sort_keys=True
        )
        self.generation = hashlib.sha256(blob.encode()).hexdigest()[:16]

    async def refresh(self) -> None:
        """Probe every prefix's manifest concurrently.

        A service that answers replaces its manifest; one that answers 404 is gone; one
        that cannot be reached keeps its last known manifest, so its commands get the
        "unavailable, try later" text instead of silently becoming unknown.
        """
        async with self._lock:
            if not self._seeded:
                await self._seed_from_database()
            prefixes = _module_prefixes()
            found = await asyncio.gather(*(self._probe(p) for p in prefixes))
            manifests: dict[str, Manifest] = {ROUTER: self.manifests[ROUTER]}
            for prefix, manifest in zip(prefixes, found, strict=True):
                if isinstance(manifest, Manifest):
                    manifests[prefix] = manifest
                elif manifest is _UNREACHABLE and prefix in self.manifests:
                    log.warning("router.module_unreachable", module=prefix)
                    manifests[prefix] = self.manifests[prefix]
            await self._add_externals(manifests)
            changed = {k: m.model_dump() for k, m in manifests.items()} != {
                k: m.model_dump() for k, m in self.manifests.items()
            }
            self.manifests = manifests
            self._recompute()
            if changed:
                log.info("router.manifests_changed", modules=sorted(manifests))
                await _store_modules(self.res, manifests, self.settings)
            self.loaded.set()

    async def _add_externals(self, manifests: dict[str, Manifest]) -> None:
        """External modules from the marketplace: their manifests, URLs and own secrets.
        When the marketplace cannot say, the ones known stay as they were."""
        known: dict[str, tuple[str, str]] = self.res.extras.get(EXTERNALS, {})
        try:
            found = await marketplace.externals(self.res, ROUTER)
        except Exception as exc:
            log.warning("router.externals_not_loaded", error=str(exc)[:200])
            manifests.update({n: self.manifests[n] for n in known if n in self.manifests})
            return
        external: dict[str, tuple[str, str]] = {}
        prefixes = set(service_table.PREFIXES)
        for name, entry in found.items():
            if name in prefixes or not entry.get("base_url") or not entry.get("secret"):
                continue
            try:
                manifests[name] = Manifest.model_validate(entry["manifest"])
            except ValidationError:
                continue
            external[name] = (str(entry["base_url"]).rstrip("/"), str(entry["secret"]))
        self.res.extras[EXTERNALS] = external

    async def _seed_from_database(self) -> None:
        """Last known manifests (the marketplace's catalogue), so a router restarted during
        a module's outage knows it."""
        self._seeded = True
        try:
            stored = {n: e["manifest"] for n, e in (await marketplace.catalogue(self.res, ROUTER)).items()}
        except Exception as exc:
            log.warning("router.modules_not_loaded", error=str(exc)[:200])
            return
        for name, raw in stored.items():
            if name not in _module_prefixes():
                continue
            try:
                self.manifests.setdefault(name, Manifest.model_validate(raw))
            except ValidationError:
                continue

    async def _probe(self, prefix: str) -> Manifest | object:
        client = self.res.http.for_service(ROUTER)
        url = f"{self.settings.service_url(prefix)}/{prefix}/api/v1/manifest"
        try:
            response = await client.request(
                "GET",
                url,
                audience=prefix,
                timeout=self.settings.router_manifest_timeout,
                retries=0,
                breaker_key=f"{prefix}:manifest",
            )
        except DependencyUnavailable:
            return _UNREACHABLE
        if response.status_code == 404:
            return _GONE
        if response.status_code != 200:
            return _UNREACHABLE
        try:
            return Manifest.model_validate(response.json())
        except (ValidationError, ValueError) as exc:
            log.warning("router.manifest_invalid", module=prefix, error=str(exc)[:300])
            return _GONE

    async def run_forever(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("router.manifest_refresh_failed")
            await asyncio.sleep(self.settings.router_manifest_interval)

    async def wait_loaded(self, wait: float = 5.0) -> None:
        if not self.loaded.is_set():
            try:
                async with asyncio.timeout(wait):
                    await self.loaded.wait()
            except TimeoutError:
                log.warning("router.manifests_not_loaded")

    def budget(self, module: str) -> float:
        """Seconds one command of `module` may take: its manifest's budget, else the table's
        default for its kind, capped by ROUTER_MODULE_TIMEOUT when that is set."""
        manifest = self.manifests.get(module)
        own = manifest.command_budget if manifest is not None else None
        try:
            default = service_table.service(module).command_budget
        except KeyError:
            default = service_table.KIND_BUDGETS["interaction"]
        budget = own or default
        cap = self.settings.router_module_timeout
        return budget if cap is None else min(budget, cap)

    def module_names(self) -> list[str]:
        return sorted(m for m in self.manifests if m != ROUTER)

    def commands_for(self, modules: set[str]) -> dict[str, CommandSpec]:
        """Default command specs of the router plus the given modules."""
        table: dict[str, CommandSpec] = {}
        for name, manifest in self.manifests.items():
            if name != ROUTER and name not in modules:
                continue
            for cmd in manifest.commands:
                table.setdefault(cmd.path, CommandSpec(module=name, **cmd.model_dump()))
        return table

    def subscribers(self, event_type: str, modules: set[str]) -> list[str]:
        return sorted(
            name
            for name, manifest in self.manifests.items()
            if name in modules and event_type in manifest.events
        )


def _module_prefixes() -> list[str]:
    return [s.prefix for s in service_table.modules() if s.prefix != ROUTER]


async def _store_modules(res: Resources, manifests: dict[str, Manifest], settings: RouterSettings) -> None:
    """What was probed goes to the catalogue when the marketplace is not deployed (it
    probes for itself when it is, decision 0053)."""
    table = set(service_table.PREFIXES)  # external modules are the marketplace's own rows
    raw = {
        name: m.model_dump(mode="json") for name, m in manifests.items() if name != ROUTER and name in table
    }
    await marketplace.store_manifests(res, raw, {name: settings.service_url(name) for name in raw})
