"""`waddlebot serve portal` alone serves the built SPA at `/` (the fleet, compose, Kubernetes):
deep links get index.html, hashed assets are cached for a year, index.html is no-cache, and
the API stays the API."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from flask_core.local_servers import free_tcp_port, release_tcp_port
from flask_core.testing import TEST_PORTAL_SECRET, TEST_SECRET
from waddlebot_cli.fleet import command
from waddlebot_cli.testing import process_env

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
INDEX = '<!doctype html><html><head><title>WaddleBot</title><script type="module" src="/assets/index-9f8e7d.js"></script></head><body><div id="root"></div></body></html>'


def _dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX, encoding="utf-8")
    (dist / "assets" / "index-9f8e7d.js").write_text("console.log('portal')", encoding="utf-8")
    return dist


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("waddlebot serve portal did not start: " + log.read_text(encoding="utf-8"))


def test_serve_portal_alone_serves_the_spa_and_the_api(tmp_path: Path) -> None:
    dist = _dist(tmp_path)
    port = free_tcp_port()
    release_tcp_port(port)  # the child binds it itself
    env = process_env(
        tmp_path / "var", port, ENV="test", INTERNAL_JWT_SECRET=TEST_SECRET, PORTAL_JWT_SECRET=TEST_PORTAL_SECRET,
        PORTAL_DIST_DIR=str(dist), LOG_LEVEL="WARNING", LOG_FORMAT="json",
    )  # fmt: skip
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command("serve", "portal"), env=env, cwd=tmp_path, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, proc, log)
        with httpx.Client(base_url=url, timeout=10) as http:
            root = http.get("/", headers={"Accept": HTML})
            assert root.status_code == 200 and root.text == INDEX
            assert root.headers["Cache-Control"] == "no-cache"
            assert root.headers["Content-Type"].startswith("text/html")
            assert "default-src 'self'" in root.headers["Content-Security-Policy"]
            deep = http.get("/c/1/commands", headers={"Accept": HTML})  # a client route: index.html
            assert (
                deep.status_code == 200 and deep.text == INDEX and deep.headers["Cache-Control"] == "no-cache"
            )
            asset = http.get("/assets/index-9f8e7d.js")
            assert asset.status_code == 200 and asset.text == "console.log('portal')"
            assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert asset.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
            again = http.get("/assets/index-9f8e7d.js", headers={"If-None-Match": asset.headers["ETag"]})
            assert again.status_code == 304
            me = http.get("/portal/api/v1/me", headers={"Accept": HTML})  # the API is never swallowed
            assert me.status_code == 401 and me.json()["error"]["code"] == "unauthorized"
            unknown_api = http.get("/portal/api/v1/nope", headers={"Accept": HTML})
            assert unknown_api.status_code == 404 and unknown_api.json()["error"]["code"] == "not_found"
            missing = http.get("/assets/gone.js", headers={"Accept": HTML})
            assert missing.status_code == 404  # never index.html served as a script
            assert http.get("/healthz", headers={"Accept": HTML}).json()["status"] == "ok"
            posted = http.post("/c/1/commands", headers={"Accept": HTML})
            assert posted.status_code == 404 and posted.json()["error"]["code"] == "not_found"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
