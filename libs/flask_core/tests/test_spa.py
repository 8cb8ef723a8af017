"""flask_core.spa: the portal's built SPA at `/` — files, deep links, cache headers, refusals."""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest
from quart import Blueprint

from flask_core import spa
from flask_core.app import create_app
from flask_core.testing import started

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>portal</title>", encoding="utf-8")
    (root / "assets" / "index-3f2a9c.js").write_text("console.log(1)", encoding="utf-8")
    (root / "favicon.svg").write_text("<svg/>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside dist", encoding="utf-8")
    return root


def test_files_deep_links_and_cache_headers(dist: Path) -> None:
    asset = spa.resolve(dist, "/assets/index-3f2a9c.js", "*/*")
    assert asset is not None and asset.path.name == "index-3f2a9c.js"
    assert asset.cache_control == "public, max-age=31536000, immutable"
    assert asset.content_type == "text/javascript; charset=utf-8"
    icon = spa.resolve(dist, "/favicon.svg", "*/*")
    assert icon is not None and icon.cache_control == "public, max-age=3600"
    for route in ("/", "/login", "/c/7/commands", "/c/7/audit/"):
        page = spa.resolve(dist, route, HTML)
        assert page is not None and page.path.name == "index.html", route
        assert page.cache_control == "no-cache"
        headers = page.headers()
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_refusals(dist: Path) -> None:
    assert spa.resolve(dist, "/assets/missing-123.js", HTML) is None  # never HTML as a script
    assert spa.resolve(dist, "/index.html", HTML) is None  # one address for the page: `/`
    assert spa.resolve(dist, "/c/7/commands", "application/json") is None  # JSON clients get the 404
    assert spa.resolve(dist, "/c/7", "*/*") is None
    assert spa.resolve(dist, "/../secret.txt", HTML) is None
    assert spa.resolve(dist, "/assets/../../secret.txt", HTML) is None
    assert spa.resolve(dist, "/a\\..\\secret.txt", HTML) is None
    assert spa.resolve(dist, "/x\x00", HTML) is None
    assert spa.resolve(dist, "/portal/api/v1/me", HTML, reserved={"portal"}) is None
    assert spa.resolve(dist, "/router", HTML, reserved=spa.service_prefixes()) is None
    assert spa.resolve(dist, "relative", HTML) is None
    (dist / "index.html").unlink()
    assert spa.resolve(dist, "/", HTML) is None


def test_default_dist_needs_an_index(
    dist: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_settings: Any
) -> None:
    assert spa.default_dist(dist) == dist.resolve()
    assert spa.default_dist(tmp_path / "nowhere") is None
    assert spa.SpaASGI.from_settings(make_settings(portal_dist_dir=tmp_path / "nowhere")) is None
    monkeypatch.setenv("PORTAL_DIST_DIR", str(dist))  # the setting's name (ARCHITECTURE §3)
    found = spa.SpaASGI.from_settings(make_settings())
    assert found is not None and found.dist == dist.resolve()
    assert {"portal", "router", "healthz", "metrics"} <= found.reserved
    monkeypatch.delenv("PORTAL_DIST_DIR")
    monkeypatch.chdir(tmp_path)
    assert spa.default_dist() is None
    (tmp_path / "portal_frontend").mkdir()
    dist.rename(tmp_path / "portal_frontend" / "dist")
    assert spa.default_dist() == (tmp_path / "portal_frontend" / "dist").resolve()


async def _call(app: spa.SpaASGI, method: str, path: str, **headers: str) -> tuple[bool, list[Any]]:
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }
    return await app.serve(scope, receive, send), sent


async def test_asgi_helper(dist: Path) -> None:
    app = spa.SpaASGI(dist, reserved={"router"})
    handled, sent = await _call(app, "GET", "/c/1/songs", accept=HTML)
    assert handled and sent[0]["status"] == 200
    headers = dict(sent[0]["headers"])
    assert headers[b"cache-control"] == b"no-cache" and headers[b"content-type"].startswith(b"text/html")
    assert sent[1]["body"].startswith(b"<!doctype html>")
    etag = headers[b"etag"].decode()
    handled, sent = await _call(app, "GET", "/", accept=HTML, if_none_match=etag)
    assert handled and sent[0]["status"] == 304 and sent[1]["body"] == b""
    handled, sent = await _call(app, "HEAD", "/assets/index-3f2a9c.js")
    assert handled and sent[0]["status"] == 200 and sent[1]["body"] == b""
    assert dict(sent[0]["headers"])[b"content-length"] == b"14"
    for method, path in (("POST", "/"), ("GET", "/router/api/v1/x"), ("GET", "/nope.js")):
        handled, sent = await _call(app, method, path, accept=HTML)
        assert not handled and sent == [], (method, path)


async def test_mounted_in_front_of_an_app(dist: Path, make_settings: Any) -> None:
    settings = make_settings(portal_dist_dir=dist)
    api = Blueprint("api", __name__)

    @api.get("/api/v1/ping")
    async def ping() -> Any:
        return {"pong": True}

    app = create_app("portal", settings, [api], "portal")
    assert spa.mount(app, settings)
    async with started(app, settings=settings):
        http = app.test_client()
        assert (await http.get("/portal/api/v1/ping", headers={"Accept": HTML})).status_code == 200
        page = await http.get("/c/3/overlays", headers={"Accept": HTML})
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-cache"
        assert "<title>portal</title>" in await page.get_data(as_text=True)
        asset = await http.get("/assets/index-3f2a9c.js")
        assert asset.headers["Cache-Control"].endswith("immutable")
        again = await http.get("/", headers={"Accept": HTML, "If-None-Match": page.headers["ETag"]})
        assert again.status_code == 304
        missing = await http.get("/assets/gone.js", headers={"Accept": HTML})
        assert missing.status_code == 404 and (await missing.get_json())["error"]["code"] == "not_found"
        api_miss = await http.get("/portal/api/v1/nope", headers={"Accept": HTML})
        assert api_miss.status_code == 404
        # the app's own answers are untouched: probes, other methods, JSON clients
        assert (await http.get("/healthz", headers={"Accept": HTML})).status_code == 200
        posted = await http.post("/c/3/overlays", headers={"Accept": HTML})
        assert posted.status_code == 404  # not the SPA's 405: unsafe methods are the app's
        assert (await http.get("/c/3/overlays")).status_code == 404  # JSON clients get the §3 404
    unbuilt = create_app("portal", make_settings(portal_dist_dir=dist / "nowhere"), [], "portal")
    assert not spa.mount(unbuilt, settings.model_copy(update={"portal_dist_dir": dist / "nowhere"}))
