"""Module discovery and command budgets come from the service table and the manifests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from flask_core import service_table
from flask_core.events import Manifest
from flask_core.local_servers import FakeHttpServer, Recorded
from waddlebot_cli.testing import run_fleet
from waddlebot_router.builtins import MANIFEST
from waddlebot_router.registry import ModuleRegistry
from waddlebot_router.settings import RouterSettings

SLOW_MANIFEST = {
    "name": "memories",
    "commands": [{"path": "slowpoke", "description": "never answers in time"}],
    "command_budget": 0.2,
}


@pytest_asyncio.fixture
async def remote() -> AsyncIterator[tuple[FakeHttpServer, asyncio.Event]]:
    """A fake host for every prefix: memories serves a manifest whose command hangs."""
    release = asyncio.Event()

    async def manifest(_: Recorded) -> web.StreamResponse:
        return web.json_response(SLOW_MANIFEST)

    async def hang(_: Recorded) -> web.StreamResponse:
        await release.wait()
        return web.json_response({"responses": [{"type": "chat", "text": "too late"}]})

    server = FakeHttpServer()
    server.route("GET", "/memories/api/v1/manifest", manifest)
    server.route("POST", "/memories/api/v1/commands/slowpoke", hang)
    async with server.serving():
        try:
            yield server, release
        finally:
            release.set()


def _pointed_at(make_settings: Any, url: str, **values: Any) -> RouterSettings:
    # The owners of the community tables stay in this process (library mode, decision 0053).
    urls = {
        f"{p}_url": url for p in service_table.PREFIXES if p not in ("router", "community", "marketplace")
    }
    settings: RouterSettings = make_settings(
        RouterSettings, default_modules=["memories"], router_manifest_interval=60, **urls, **values
    )
    return settings


async def test_router_probes_only_the_tables_modules_never_collectors(
    make_settings: Any, free_port: int, router_factory: Any, remote: tuple[FakeHttpServer, asyncio.Event]
) -> None:
    server, _ = remote
    settings = _pointed_at(make_settings, server.url, port=free_port)
    async with run_fleet(settings, {"router": router_factory(settings)}):
        remote_modules = {s.prefix for s in service_table.modules()} - {"community", "marketplace"}
        probed = await server.wait_for(r"/[a-z_]+/api/v1/manifest", count=len(remote_modules))
    prefixes = {r.path.split("/")[1] for r in probed}
    assert prefixes == remote_modules  # community and marketplace: probed in process (not mounted)
    for collector in ("twitch", "discord", "slack"):
        assert not server.calls(f"/{collector}/api/v1/manifest"), collector
    assert not server.calls("/portal/api/v1/manifest")


async def test_the_manifests_budget_bounds_a_command_below_the_routers_cap(
    make_settings: Any,
    free_port: int,
    router_factory: Any,
    make_event: Any,
    remote: tuple[FakeHttpServer, asyncio.Event],
) -> None:
    server, release = remote
    settings = _pointed_at(make_settings, server.url, port=free_port, router_module_timeout=60.0)
    async with run_fleet(settings, {"router": router_factory(settings)}) as fleet:
        # With the cap (60 s) as the budget this would not answer within 10 s.
        async with asyncio.timeout(10):
            body = (await fleet.post(make_event("!slowpoke"))).json()
        assert not release.is_set()  # the module was still working when the router answered
    assert body["status"] == "processed"
    assert "unavailable" in body["responses"][0]["text"]
    assert server.calls("/memories/api/v1/commands/slowpoke")


@pytest.mark.parametrize(
    ("module", "manifest_budget", "cap", "expected"),
    [
        ("memories", None, None, 5.0),
        ("ai", None, None, 30.0),
        ("ai", 12.0, None, 12.0),
        ("ai", None, 2.0, 2.0),
        ("memories", 0.5, 2.0, 0.5),
        ("not_in_table", None, None, 5.0),
    ],
    ids=["interaction-default", "ai-default", "manifest-wins", "cap", "manifest-under-cap", "unknown"],
)
def test_command_budget_is_the_manifests_else_the_kinds_default_capped(
    make_settings: Any, module: str, manifest_budget: float | None, cap: float | None, expected: float
) -> None:
    settings = make_settings(RouterSettings, router_module_timeout=cap)
    registry = ModuleRegistry(None, settings, MANIFEST)  # type: ignore[arg-type]
    registry.manifests[module] = Manifest(name=module, command_budget=manifest_budget)
    assert registry.budget(module) == expected
