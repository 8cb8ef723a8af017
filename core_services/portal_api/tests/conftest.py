"""Fixtures for the portal tests: a real fleet (router, memories, alias, portal) behind the
dispatcher on a real port, browser-like clients with cookies, accounts and communities."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from flask_core.app import resources
from flask_core.testing import service_headers
from waddlebot_alias.app import create_app as create_alias
from waddlebot_alias.settings import AliasSettings
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_marketplace.app import create_app as create_marketplace
from waddlebot_marketplace.settings import MarketplaceSettings
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_portal import accounts
from waddlebot_portal.app import create_app
from waddlebot_portal.settings import PortalSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

API = "/portal/api/v1"
PASSWORD = "correct horse battery"
CHEAP_ARGON2 = {"portal_argon2_time_cost": 1, "portal_argon2_memory_cost": 8, "portal_argon2_parallelism": 1}


@pytest.fixture
def common(backend: dict[str, Any], free_port: int) -> dict[str, Any]:
    return {"port": free_port, "default_modules": ["memories", "alias"], **backend}


@pytest.fixture
def portal_settings(make_settings: Any, common: dict[str, Any]) -> PortalSettings:
    return make_settings(PortalSettings, portal_cookie_secure=False, **CHEAP_ARGON2, **common)


@pytest.fixture
def app(portal_settings: PortalSettings) -> Any:
    return create_app(portal_settings)


def fleet_apps(make_settings: Any, common: dict[str, Any], portal: Any) -> dict[str, Any]:
    return {
        "router": create_router(make_settings(RouterSettings, router_manifest_interval=0.5, **common)),
        "memories": create_memories(make_settings(MemoriesSettings, **common)),
        "alias": create_alias(make_settings(AliasSettings, **common)),
        # the owner of the commands and modules screens (§12)
        "marketplace": create_marketplace(
            make_settings(MarketplaceSettings, marketplace_manifest_interval=0.5, **common)
        ),
        "portal": portal,
    }


class Browser:
    """An httpx client that keeps cookies and echoes the CSRF cookie like the SPA does."""

    def __init__(self, url: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=30)

    def csrf(self) -> dict[str, str]:
        token = self.http.cookies.get("csrf_token")
        return {"X-CSRF-Token": token} if token else {}

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.http.post(f"{API}/auth/login", json={"email": email, "password": password})

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(API + path, **kwargs)

    async def send(self, method: str, path: str, json: Any = None, *, csrf: bool = True) -> httpx.Response:
        headers = self.csrf() if csrf else {}
        return await self.http.request(method, API + path, json=json, headers=headers)

    async def aclose(self) -> None:
        await self.http.aclose()


@dataclass
class PortalFleet:
    fleet: Fleet
    portal: Any
    browsers: list[Browser] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.fleet.url

    def browser(self) -> Browser:
        b = Browser(self.url)
        self.browsers.append(b)
        return b

    @property
    def res(self) -> Any:
        return resources(self.portal)

    async def user(
        self, email: str, *, admin: bool = False, roles: dict[int, str] | None = None
    ) -> accounts.Account:
        account = await accounts.create_user(self.res.db, self.portal.extensions["waddlebot.settings"], email,
                                             PASSWORD, admin=admin)  # fmt: skip
        for community_id, role in (roles or {}).items():
            await accounts.grant(self.res.db, account.id, community_id, role, by="test")
        return account

    async def community(self, platform: str = "twitch", server: str | None = None) -> int:
        """A community provisioned by its first chat message (through the router)."""
        server = server or f"chan-{uuid.uuid4().hex[:8]}"
        event = {
            "event_id": f"{platform}:{uuid.uuid4()}", "platform": platform, "server_id": server,
            "channel_id": server, "type": "chat_message", "text": "hello",
            "user": {"platform_user_id": "u1", "username": "u1", "roles": []}, "reply": {"kind": "inline"},
        }  # fmt: skip
        assert (await self.fleet.post(event)).status_code == 200
        found = await self.fleet.http.get(
            f"/router/api/v1/communities/by-platform/{platform}/{server}", headers=service_headers("router")
        )
        return int(found.json()["community_id"])


@pytest.fixture
def extra_apps() -> dict[str, Any]:
    """More services for `portal_fleet` (a test module overrides this fixture)."""
    return {}


@pytest_asyncio.fixture
async def portal_fleet(
    make_settings: Any, common: dict[str, Any], app: Any, extra_apps: dict[str, Any]
) -> AsyncIterator[PortalFleet]:
    settings = app.extensions["waddlebot.settings"]
    async with run_fleet(settings, {**fleet_apps(make_settings, common, app), **extra_apps}) as fleet:
        pf = PortalFleet(fleet, app)
        try:
            yield pf
        finally:
            for b in pf.browsers:
                await b.aclose()
