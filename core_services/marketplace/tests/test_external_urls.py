"""External module URLs go through the SSRF guard (decision 0079): outside ENV=dev|test a URL
whose host resolves inward is refused before anything is fetched, unless its network is
allowed by MARKETPLACE_EXTERNAL_ALLOWED_NETWORKS."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded, service_headers, started
from waddlebot_marketplace.app import create_app
from waddlebot_marketplace.external_urls import check_url
from waddlebot_marketplace.settings import MarketplaceSettings

MANIFEST = {"name": "trivia", "commands": [{"path": "trivia"}]}


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


async def register(make_settings: Any, backend: dict[str, Any], url: str, **extra: Any) -> Any:
    app = create_app(make_settings(MarketplaceSettings, env="prod", **backend, **extra))
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        return await app.test_client().post(
            "/marketplace/api/v1/modules",
            json={"name": "trivia", "url": url},
            headers=service_headers("marketplace", issuer="portal"),
        )


async def test_a_loopback_module_url_is_refused_outside_dev_and_nothing_is_fetched(
    make_settings: Any, backend: dict[str, Any], fake_http: FakeHttpServer
) -> None:
    async def manifest(call: Recorded) -> web.Response:
        return web.json_response(MANIFEST)

    fake_http.route("GET", "/trivia/api/v1/manifest", manifest)
    refused = await register(make_settings, backend, fake_http.url)
    assert refused.status_code == 422
    error = (await refused.get_json())["error"]
    assert error["code"] == "url_not_allowed" and error["details"]["reason"] == "address_not_public:127.0.0.1"
    assert fake_http.requests == []  # refused before any request left

    allowed = await register(
        make_settings, backend, fake_http.url, marketplace_external_allowed_networks="127.0.0.0/8"
    )
    assert allowed.status_code == 201, await allowed.get_data(as_text=True)
    assert len(fake_http.requests) == 1


@pytest.mark.parametrize(
    ("url", "addresses", "reason"),
    [
        ("http://169.254.169.254/latest", [], "address_not_public:169.254.169.254"),
        ("http://10.0.0.5:8080", [], "address_not_public:10.0.0.5"),
        ("http://[::1]:9000", [], "address_not_public:::1"),
        ("https://modules.example.com", ["93.184.216.34", "192.168.1.9"], "address_not_public:192.168.1.9"),
        ("https://nowhere.example.com", None, "dns"),
    ],
    ids=["metadata", "private", "ipv6-loopback", "one-inward-answer", "no-dns"],
)
async def test_every_resolved_address_must_be_public(
    url: str, addresses: list[str] | None, reason: str
) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        if addresses is None:
            raise OSError("no such host")
        return addresses

    settings = MarketplaceSettings.model_construct(env="prod", marketplace_external_allowed_networks=[])
    with pytest.raises(Exception) as refused:
        await check_url(url, settings, resolve)
    assert getattr(refused.value, "details", {})["reason"] == reason


async def test_a_public_address_passes_and_dev_allows_a_local_module() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    prod = MarketplaceSettings.model_construct(env="prod", marketplace_external_allowed_networks=[])
    await check_url("https://modules.example.com/x", prod, resolve)
    dev = MarketplaceSettings.model_construct(env="dev", marketplace_external_allowed_networks=[])
    await check_url("http://127.0.0.1:9000", dev, resolve)
