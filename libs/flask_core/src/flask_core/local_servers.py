"""Local HTTP servers for tests: a recording fake of a remote API, and a live ASGI app.

Platform APIs and the router are faked on 127.0.0.1 by a real aiohttp server, so the
code under test takes the production path and only its base URL differs (CONVENTIONS):
    server = FakeHttpServer()              or a subclass that overrides `default`
    server.route("POST", "/x", handler)    handler: async (Recorded) -> web.StreamResponse
    server.script("/x", *answers, method="*")   answered once each, in order, before routes;
                                           an answer is a web.Response or a () -> web.Response
    async with server.serving(port=0):     server.url is http://127.0.0.1:<port> (0: a free one)
    server.requests                        every request as Recorded (method, path, query,
                                           headers, raw, json, at; `body`, `form`)
    server.calls(pattern, method=None)     those whose path fully matches `pattern`
    await server.wait_for(pattern, count=1, within=5.0)  the calls once there are `count`
                                           (or when `within` seconds have passed)
`live_server(asgi_app, port)` serves an app (with its lifespan) through hypercorn.
`flask_core.testing` re-exports these and has the fixture `fake_http` (one started server).

Ports are never picked, closed and hoped for: `free_tcp_port()` keeps the port's socket
bound (SO_REUSEADDR, not listening) until `release_tcp_port(port)`, so no other program
can take it. `live_server` and `FakeHttpServer.start` on a reserved port take that very
socket over (hypercorn as `fd://`); a child process (`waddlebot run`) binds the port
itself, which Linux allows next to a bound, non-listening SO_REUSEADDR socket.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import errno
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

Handler = Callable[["Recorded"], Awaitable[web.StreamResponse]]
Answer = web.StreamResponse | Callable[[], web.StreamResponse]


@dataclass(slots=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    raw: bytes
    json: Any = None  # the parsed body when it is JSON
    at: float = field(default_factory=time.monotonic)

    @property
    def body(self) -> Any:
        """The JSON body; else the query parameters; else the text (None when empty)."""
        if self.json is not None:
            return self.json
        return self.query or self.raw.decode("utf-8", "replace") or None

    @property
    def form(self) -> dict[str, str]:
        """The body's form fields (`application/x-www-form-urlencoded`)."""
        return dict(parse_qsl(self.raw.decode("utf-8", "replace"), keep_blank_values=True))


async def _record(request: web.Request) -> Recorded:
    raw = await request.read()
    parsed: Any = None
    if raw and (request.content_type.endswith("json") or raw[:1] in (b"{", b"[")):
        with contextlib.suppress(ValueError):
            parsed = json.loads(raw)
    headers = CIMultiDict(request.headers)
    return Recorded(request.method, request.path, dict(request.query), headers, raw, parsed)


class FakeHttpServer:
    """Records every request; answers from the script, then the routes, then `default`."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Recorded] = []
        self._routes: dict[tuple[str, str], Handler] = {}
        self._scripted: dict[tuple[str, str], list[Answer]] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer `method path` (method "*": any) with `handler`."""
        self._routes[(method.upper(), path)] = handler

    def script(self, path: str, *answers: Answer, method: str = "*") -> None:
        """Answer the next requests to `path` with these, in order (then the routes)."""
        self._scripted.setdefault((method.upper(), path), []).extend(answers)

    def calls(self, pattern: str = ".*", method: str | None = None) -> list[Recorded]:
        """The requests whose path fully matches `pattern` (and `method`, when given)."""
        return [
            r
            for r in self.requests
            if re.fullmatch(pattern, r.path) and (method is None or r.method == method.upper())
        ]

    async def wait_for(self, pattern: str = ".*", count: int = 1, within: float = 5.0) -> list[Recorded]:
        """The calls to `pattern` once there are `count` of them (or `within` seconds passed)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while len(self.calls(pattern)) < count:
                    self._changed.clear()
                    await self._changed.wait()
        return self.calls(pattern)

    async def default(self, call: Recorded) -> web.StreamResponse:
        """What an unscripted, unrouted request gets (subclasses answer their API here)."""
        return web.json_response({"error": "not_found", "path": call.path}, status=404)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        call = await _record(request)
        self.requests.append(call)
        self._changed.set()
        for key in ((call.method, call.path), ("*", call.path)):
            if queued := self._scripted.get(key):
                answer = queued.pop(0)
                return answer if isinstance(answer, web.StreamResponse) else answer()
        handler = self._routes.get((call.method, call.path)) or self._routes.get(("*", call.path))
        return await (handler or self.default)(call)

    async def start(self, port: int = 0) -> str:
        """Listen on 127.0.0.1:`port` (0: a free one); the base URL."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        reserved = _take_reserved(port)
        site: web.BaseSite
        if reserved is not None:
            site = web.SockSite(self._runner, reserved)
        else:
            site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        _host, bound = self._runner.addresses[0][:2]
        self.url = f"http://127.0.0.1:{bound}"
        return self.url

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @asynccontextmanager
    async def serving(self, port: int = 0) -> AsyncIterator[Self]:
        """Started for the block, stopped after it."""
        await self.start(port)
        try:
            yield self
        finally:
            await self.stop()


_RESERVED: dict[int, socket.socket] = {}


@atexit.register
def _close_reserved() -> None:
    """Ports a test reserved and never handed to a server close with the process (quietly:
    left to the interpreter's shutdown, each one was an "unclosed socket" warning)."""
    for sock in _RESERVED.values():
        sock.close()
    _RESERVED.clear()


def free_tcp_port() -> int:
    """A port on 127.0.0.1 held for this process until `release_tcp_port` (or a server takes it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    _RESERVED[port] = sock
    return port


def release_tcp_port(port: int) -> None:
    """Give a reserved port back (nothing happens if a server took it over)."""
    sock = _RESERVED.pop(port, None)
    if sock is not None:
        sock.close()


def _take_reserved(port: int) -> socket.socket | None:
    """The reserved socket of `port`, now owned by the caller (None if not reserved)."""
    return _RESERVED.pop(port, None) if port else None


BIND_RETRIES = 20


@asynccontextmanager
async def live_server(asgi_app: Any, port: int) -> AsyncIterator[str]:
    """Serve an ASGI app (with lifespan) through hypercorn on 127.0.0.1:port.

    A reserved port's socket is handed over (`fd://`); another port is bound by address,
    retried while it is still in use (a server of the same test that just stopped).
    """
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    sock = _take_reserved(port) or await _bind(port)
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn adopts the descriptor and closes it
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = 1
    stop = asyncio.Event()
    task = asyncio.create_task(serve(asgi_app, config, shutdown_trigger=stop.wait))
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_listening(port, task)
        yield url
    finally:
        stop.set()
        await task


async def _bind(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:`port`, retried while the port is still in use."""
    for attempt in range(BIND_RETRIES):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE or attempt == BIND_RETRIES - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
            continue
        return sock
    raise AssertionError("unreachable")


async def _wait_listening(port: int, task: asyncio.Task[Any]) -> None:
    for _ in range(200):
        if task.done():
            task.result()
            raise RuntimeError("server stopped during start-up")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.025)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"server did not listen on {port}")
