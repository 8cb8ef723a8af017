"""Serve a built single-page app (the portal, `portal_frontend/dist`) at `/` (ARCHITECTURE §12).

One rule set, one mount: `SpaASGI`, raw ASGI in front of the routes. The single-process
dispatcher tries it after its prefixes (`make run`); portal_api running alone (`waddlebot
serve portal`: the fleet, compose, Kubernetes, where the proxy and the Ingress send `/` to
it) puts it in front of its own app with `mount(app, settings)`. Anything it does not
answer (another method, a prefix, a JSON client's unknown path) goes on to the app.

- A file that exists under `dist` is served as it is. Vite's content-hashed files under
  `assets/` are cached for a year (`immutable`); `index.html` is `no-cache`, so a new
  build is picked up on the next navigation; other files an hour.
- A client-side route (`/c/1/commands`, a path whose last segment has no extension) is
  answered with `index.html` when the client asks for HTML (`Accept: text/html`, as every
  browser navigation does): deep links work. A JSON client asking an unknown path still
  gets the §3 404, and a missing asset is a 404, never HTML served as JavaScript.
- Paths whose first segment is a service prefix are never the SPA's (the API stays under
  its prefix); `..` and anything outside `dist` are refused.
- GET and HEAD only; weak ETags (size + mtime) answer `If-None-Match` with 304.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quart import Quart

    from .settings import CoreSettings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

INDEX = "index.html"
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
SHORT = "public, max-age=3600"
#: The SPA talks to its own origin only; the overlay preview frames a same-origin URL.
CSP = (
    "default-src 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'self'; "
    "img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-src 'self'; connect-src 'self'"
)
METHODS = ("GET", "HEAD")
#: Root paths an app answers itself, never the SPA's (besides every §2 prefix).
PROBES = ("healthz", "readyz", "metrics")


@dataclass(frozen=True)
class SpaFile:
    """What to send for one request: the file, its type and its headers."""

    path: Path
    content_type: str
    size: int
    etag: str
    cache_control: str

    def headers(self) -> dict[str, str]:
        found = {
            "Content-Type": self.content_type,
            "Cache-Control": self.cache_control,
            "ETag": self.etag,
            "X-Content-Type-Options": "nosniff",
        }
        if self.path.name == INDEX:
            found["Content-Security-Policy"] = CSP
            found["Referrer-Policy"] = "same-origin"
        return found


def default_dist(configured: Path | None = None) -> Path | None:
    """`configured` (PORTAL_DIST_DIR), else `./portal_frontend/dist`, when it holds an index.html."""
    candidate = configured if configured is not None else Path.cwd() / "portal_frontend" / "dist"
    return candidate.resolve() if (candidate / INDEX).is_file() else None


def service_prefixes() -> frozenset[str]:
    from .service_table import PREFIXES

    return frozenset(PREFIXES)


def wants_html(accept: str) -> bool:
    return "text/html" in accept.lower()


def resolve(dist: Path, url_path: str, accept: str, reserved: Collection[str] = ()) -> SpaFile | None:
    """The file answering `url_path` (already percent-decoded), or None for a 404."""
    if not url_path.startswith("/") or "\x00" in url_path:
        return None
    segments = [s for s in url_path.split("/") if s]
    if segments and segments[0] in reserved:
        return None
    if any(s in (".", "..") or "\\" in s for s in segments):
        return None
    root = dist.resolve()
    if segments:
        target = root.joinpath(*segments).resolve()
        if target.is_relative_to(root) and target.is_file() and target.name != INDEX:
            return _file(target, root)
        if "." in segments[-1]:
            return None  # a missing asset (or index.html asked by name): no HTML fallback
    if not wants_html(accept):
        return None
    index = root / INDEX
    return _file(index, root) if index.is_file() else None


def _file(path: Path, root: Path) -> SpaFile:
    stat = path.stat()
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type in ("application/javascript", "image/svg+xml"):
        content_type += "; charset=utf-8"
    relative = path.relative_to(root).parts
    if path.name == INDEX:
        cache = NO_CACHE
    elif relative[0] == "assets":
        cache = IMMUTABLE
    else:
        cache = SHORT
    etag = f'W/"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    return SpaFile(path, content_type, stat.st_size, etag, cache)


def not_modified(found: SpaFile, if_none_match: str) -> bool:
    tags = {t.strip() for t in if_none_match.split(",")}
    return found.etag in tags or "*" in tags


class SpaASGI:
    """The SPA as a raw ASGI helper: `await spa.serve(scope, receive, send)` → handled?"""

    def __init__(self, dist: Path, reserved: Collection[str] = ()):
        self.dist = dist
        self.reserved = frozenset(reserved)

    @classmethod
    def from_settings(cls, settings: CoreSettings, reserved: Collection[str] = ()) -> SpaASGI | None:
        """The SPA of `PORTAL_DIST_DIR` (or `./portal_frontend/dist`), or None when it is not
        built; every §2 prefix and the root probes are reserved."""
        dist = default_dist(settings.portal_dist_dir)
        return cls(dist, {*service_prefixes(), *PROBES, *reserved}) if dist is not None else None

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> bool:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            return False
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        found = resolve(self.dist, scope.get("path", "/"), headers.get("accept", ""), self.reserved)
        if found is None:
            return False
        answer = [(k.lower().encode(), v.encode()) for k, v in found.headers().items()]
        if not_modified(found, headers.get("if-none-match", "")):
            await send({"type": "http.response.start", "status": 304, "headers": answer})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return True
        body = b"" if scope["method"] == "HEAD" else await asyncio.to_thread(found.path.read_bytes)
        answer.append((b"content-length", str(found.size).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": answer})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return True


def mount(app: Quart, settings: CoreSettings) -> bool:
    """Serve the built SPA at `/` in front of `app` (portal_api alone); False when not built."""
    found = SpaASGI.from_settings(settings)
    if found is None:
        return False
    inner = app.asgi_app

    async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
        if await found.serve(scope, receive, send):
            return
        await inner(scope, receive, send)  # type: ignore[arg-type]

    app.asgi_app = asgi_app  # type: ignore[method-assign,assignment]
    return True
