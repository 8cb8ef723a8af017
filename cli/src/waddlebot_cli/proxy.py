"""`waddlebot proxy`: the fleet's path-routing reverse proxy on HOST:PORT.

Routing is by the first path segment, as in the dispatcher and the Ingress: `/<prefix>/…`
goes to `<PREFIX>_URL` for every installed service of the table, `/` and paths outside
a prefix go to the portal when it is installed (ARCHITECTURE §12: portal_api serves the
built SPA there itself, `flask_core.spa.mount`), anything else is a 404 in the error
shape. Websockets are passed through; `X-Request-ID` is passed on (one is made when the
client sent none) and `X-Forwarded-For/-Proto/-Host` are set. The proxy answers
`/healthz` itself and `/readyz` by asking every backend's `/readyz`. Compose and
Kubernetes use Caddy and an Ingress instead; this is for `make fleet`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from typing import TYPE_CHECKING

from pydantic_settings import BaseSettings, SettingsConfigDict

from flask_core import service_table

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp import web

#: Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
PORTAL = "portal"


class ProxySettings(BaseSettings):
    """What the proxy reads: HOST, PORT and each service's `<PREFIX>_URL` (ARCHITECTURE §2).

    Not CoreSettings: the proxy holds no secrets and opens no database.
    """

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    host: str = "127.0.0.1"
    port: int = 8080
    for _prefix in service_table.PREFIXES:
        __annotations__[f"{_prefix}_url"] = "str | None"
        vars()[f"{_prefix}_url"] = None
    del _prefix

    def routes(self) -> dict[str, str]:
        """{prefix: base URL} of every installed service that has a `<PREFIX>_URL`."""
        found = {}
        for prefix in service_table.PREFIXES:
            url: str | None = getattr(self, f"{prefix}_url")
            if url and prefix in service_table.installed():
                found[prefix] = url.rstrip("/")
        return found


def pick(routes: dict[str, str], path: str) -> str | None:
    """The backend base URL for `path`: exact first-segment match, else the portal."""
    first = path.split("/", 2)[1] if path.startswith("/") else ""
    if first in routes:
        return routes[first]
    return routes.get(PORTAL)


def build_app(routes: dict[str, str], *, timeout: float = 60.0) -> web.Application:
    import aiohttp
    from aiohttp import web

    app = web.Application(client_max_size=8 * 1024 * 1024)
    state: dict[str, aiohttp.ClientSession] = {}

    async def _session(app: web.Application) -> AsyncIterator[None]:
        state["http"] = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout), auto_decompress=False
        )
        yield
        await state["http"].close()

    app.cleanup_ctx.append(_session)

    def _json(status: int, code: str, message: str, details: object = None) -> web.Response:
        body = {"error": {"code": code, "message": message, "details": details}}
        return web.json_response(body, status=status)

    def _forward_headers(request: web.Request, request_id: str) -> dict[str, str]:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["X-Request-ID"] = request_id
        peer = request.remote or ""
        earlier = request.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{earlier}, {peer}" if earlier else peer
        headers["X-Forwarded-Proto"] = request.headers.get("X-Forwarded-Proto", request.scheme)
        headers["X-Forwarded-Host"] = request.headers.get("X-Forwarded-Host", request.host)
        return headers

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": "proxy", "routes": sorted(routes)})

    async def readyz(request: web.Request) -> web.Response:
        http = state["http"]

        async def one(url: str) -> bool:
            try:
                async with http.get(f"{url}/readyz", timeout=aiohttp.ClientTimeout(total=3)) as answer:
                    return answer.status == 200
            except (aiohttp.ClientError, TimeoutError):
                return False

        names = sorted(routes)
        answers = await asyncio.gather(*(one(routes[n]) for n in names))
        services = dict(zip(names, answers, strict=True))
        if all(answers):
            return web.json_response({"status": "ready", "services": services})
        return _json(503, "dependency_unavailable", "not ready", {"services": services})

    async def websocket(request: web.Request, base: str, request_id: str) -> web.WebSocketResponse:
        target = base.replace("http", "ws", 1) + request.path_qs
        headers = {
            k: v
            for k, v in _forward_headers(request, request_id).items()
            if not k.lower().startswith("sec-websocket")
        }
        upstream = await state["http"].ws_connect(target, headers=headers)
        client = web.WebSocketResponse()
        await client.prepare(request)

        async def pump(source: object, sink: object) -> None:
            async for message in source:  # type: ignore[attr-defined]
                if message.type == aiohttp.WSMsgType.TEXT:
                    await sink.send_str(message.data)  # type: ignore[attr-defined]
                elif message.type == aiohttp.WSMsgType.BINARY:
                    await sink.send_bytes(message.data)  # type: ignore[attr-defined]
                else:
                    break
            await sink.close()  # type: ignore[attr-defined]

        await asyncio.gather(pump(client, upstream), pump(upstream, client), return_exceptions=True)
        await upstream.close()
        return client

    async def forward(request: web.Request) -> web.StreamResponse:
        if request.path == "/healthz":
            return await healthz(request)
        if request.path == "/readyz":
            return await readyz(request)
        base = pick(routes, request.path)
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming or uuid.uuid4().hex
        if base is None:
            return _json(404, "not_found", "not found")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            try:
                return await websocket(request, base, request_id)
            except aiohttp.ClientError:
                return _json(502, "dependency_unavailable", "upstream unavailable")
        body = await request.read()
        try:
            async with state["http"].request(
                request.method,
                base + request.path_qs,
                headers=_forward_headers(request, request_id),
                data=body if body else None,
                allow_redirects=False,
            ) as upstream:
                headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
                headers.setdefault("X-Request-ID", request_id)
                response = web.StreamResponse(status=upstream.status, headers=headers)
                await response.prepare(request)
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
                return response
        except (aiohttp.ClientConnectionError, TimeoutError):
            return _json(502, "dependency_unavailable", "upstream unavailable", {"upstream": base})

    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proxy = sub.add_parser("proxy", help="the fleet's reverse proxy: /<prefix>/… to <PREFIX>_URL")
    proxy.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aiohttp import web

    settings = ProxySettings()
    routes, host, port = settings.routes(), settings.host, settings.port
    print(
        json.dumps({"event": "proxy.serving", "url": f"http://{host}:{port}", "routes": routes}),
        file=sys.stderr,
        flush=True,
    )
    web.run_app(build_app(routes), host=host, port=port, print=None, access_log=None, reuse_address=True)
    return 0
