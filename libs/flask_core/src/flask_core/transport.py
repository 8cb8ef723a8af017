"""HTTP/1.1 for httpx on asyncio and h11: the fleet's outbound transport (decision 0089).

httpx stays the API (ARCHITECTURE §7); this is what carries its requests to other
services and platform APIs. It replaces the aiohttp transport, whose ≈ 7 MB resident (69
modules, a C HTTP parser) was the largest part of a fleet process above its 80 MB, with
h11 — already loaded, as hypercorn speaks HTTP/1.1 with it — on an `asyncio.Protocol`:

- **Pool.** Connections are kept per origin (scheme, host, port) and reused newest first;
  at most `limits.max_connections` are open, at most `max_keepalive_connections` idle,
  each idle for at most `keepalive_expiry` seconds (default 5, below hypercorn's and most
  servers' keep-alive timeout, so a server rarely closes one under a request). A full
  pool closes another origin's idle connection or waits, first come first served.
- **Reuse only what is clean.** A connection goes back to the pool only when its request
  and response both finished; a cancelled, timed-out or failed exchange closes it, as
  does an idle one that the server closed or wrote to.
- **Errors are httpx's:** ConnectError / ConnectTimeout (with the OS or TLS error as the
  cause), ReadTimeout, WriteTimeout, PoolTimeout, RemoteProtocolError (the server closed
  the connection or broke HTTP), LocalProtocolError.
- **Bytes as they are.** Bodies are not decoded here (httpx decodes `Content-Encoding`);
  request bodies up to 64 KiB leave in the same write as the headers.

HTTP/1.1 only, no proxies (none are configured anywhere in the fleet).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx

Origin = tuple[str, str, int]
_DEFAULT_PORTS = {"http": 80, "https": 443}
_COALESCE = 64 * 1024  # request bytes gathered into one write
_HIGH_WATER = 1024 * 1024  # unread response bytes before the socket stops being read


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: h11's state, fed by the socket as data arrives."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.h11 = h11.Connection(h11.CLIENT)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.lost: BaseException | None = None
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._unread = 0
        self._reading_paused = False

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.h11.receive_data(data)
        self._unread += len(data)
        if self._unread > _HIGH_WATER and self.transport is not None and not self._reading_paused:
            self._reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.h11.receive_data(b"")
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self.lost = exc
            with contextlib.suppress(h11.RemoteProtocolError, RuntimeError):
                self.h11.receive_data(b"")  # h11 sees the end (already seen after an EOF)
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        if self._drain is None or self._drain.done():
            self._drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # --- used by the transport ----------------------------------------------------------

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def reusable(self, now: float, expiry: float) -> bool:
        """Idle and clean: open, both sides IDLE, nothing received since, not expired."""
        return (
            not self.closed
            and self.h11.our_state is h11.IDLE
            and self.h11.their_state is h11.IDLE
            and self.h11.trailing_data == (b"", False)
            and now - self.idle_since < expiry
        )

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def write(self, data: bytes, seconds: float | None) -> None:
        if self.closed or self.transport is None:
            raise httpx.WriteError("the connection is closed")
        self.transport.write(data)
        if self._drain is not None and not self._drain.done():
            try:
                async with asyncio.timeout(seconds):
                    await self._drain
            except TimeoutError:
                raise httpx.WriteTimeout("timed out sending the request") from None

    async def next_event(self, seconds: float | None) -> Any:
        """h11's next event, reading from the socket as needed."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                if isinstance(event, h11.Data):
                    self._unread = max(0, self._unread - len(event.data))
                return event
            if self.closed:  # h11 was fed the end; it needs more only if it never came
                raise httpx.RemoteProtocolError("server disconnected") from self.lost
            self._unread = 0
            if self._reading_paused and self.transport is not None:
                self._reading_paused = False
                self.transport.resume_reading()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(seconds):
                    await self._waiter
            except TimeoutError:
                raise httpx.ReadTimeout("timed out waiting for the response") from None
            finally:
                self._waiter = None


class _Pool:
    """Open connections per origin, bounded; see the module docstring."""

    def __init__(self, limits: httpx.Limits) -> None:
        self.max_open: float = math.inf if limits.max_connections is None else limits.max_connections
        idle = limits.max_keepalive_connections
        self.max_idle: float = math.inf if idle is None else idle
        self.expiry = math.inf if limits.keepalive_expiry is None else limits.keepalive_expiry
        self.idle: dict[Origin, list[_Connection]] = {}
        self.open = 0
        self.idle_count = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    def take_idle(self, origin: Origin) -> _Connection | None:
        stack = self.idle.get(origin)
        now = time.monotonic()
        while stack:
            conn = stack.pop()
            self.idle_count -= 1
            if conn.reusable(now, self.expiry):
                return conn
            self.discard(conn)
        return None

    def evict_one(self) -> bool:
        """Close the oldest idle connection of any origin to make room."""
        oldest: _Connection | None = None
        for stack in self.idle.values():
            if stack and (oldest is None or stack[0].idle_since < oldest.idle_since):
                oldest = stack[0]
        if oldest is None:
            return False
        self.idle[oldest.origin].remove(oldest)
        self.idle_count -= 1
        self.discard(oldest)
        return True

    def discard(self, conn: _Connection) -> None:
        conn.close()
        self.open -= 1
        self._wake_one()

    def put_back(self, conn: _Connection) -> None:
        if self.idle_count >= self.max_idle:
            self.discard(conn)
            return
        conn.idle_since = time.monotonic()
        self.idle.setdefault(conn.origin, []).append(conn)
        self.idle_count += 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close_all(self) -> None:
        for stack in self.idle.values():
            for conn in stack:
                conn.close()
                self.open -= 1
        self.idle.clear()
        self.idle_count = 0


class _Body(httpx.AsyncByteStream):
    """A response body; closing it returns a finished connection to the pool."""

    def __init__(self, transport: H11Transport, conn: _Connection, read_timeout: float | None) -> None:
        self._transport = transport
        self._conn = conn
        self._timeout = read_timeout
        self._done = False
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            while not self._done:
                event = await self._conn.next_event(self._timeout)
                if isinstance(event, h11.Data):
                    if event.data:
                        yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    self._done = True
                elif isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError("server disconnected during the response")
        except BaseException:
            self._release(reusable=False)
            raise

    async def aclose(self) -> None:
        self._release(reusable=self._done)

    def _release(self, *, reusable: bool) -> None:
        if self._released:
            return
        self._released = True
        self._transport._finished(self._conn, reusable)


class H11Transport(httpx.AsyncBaseTransport):
    """httpx's async transport over pooled HTTP/1.1 connections (module docstring)."""

    def __init__(self, *, limits: httpx.Limits | None = None, verify: ssl.SSLContext | bool = True) -> None:
        self._pool = _Pool(limits or httpx.Limits(max_connections=256, max_keepalive_connections=64))
        self._verify = verify
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self._closed = False

    def _ssl_context(self) -> ssl.SSLContext:
        """The system's trust store, as the aiohttp transport used (`verify=False`: none).
        Built on the first https origin: loading the CA bundle costs time and memory."""
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
            if self._verify is False:
                self._ssl.check_hostname = False
                self._ssl.verify_mode = ssl.CERT_NONE
        return self._ssl

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        if url.scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        origin: Origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])
        timeouts = request.extensions.get("timeout", {})
        conn = await self._acquire(origin, timeouts.get("connect"), timeouts.get("pool"))
        try:
            await self._send(conn, request, timeouts.get("write"))
            while True:
                event = await conn.next_event(timeouts.get("read"))
                if isinstance(event, h11.Response):
                    break
                if isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError("server disconnected without sending a response")
                # h11.InformationalResponse (1xx): the final answer follows
        except BaseException:
            self._finished(conn, reusable=False)
            raise
        return httpx.Response(
            event.status_code,
            headers=event.headers.raw_items(),
            stream=_Body(self, conn, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )

    async def _send(self, conn: _Connection, request: httpx.Request, seconds: float | None) -> None:
        try:
            head = conn.h11.send(
                h11.Request(method=request.method, target=request.url.raw_path, headers=request.headers.raw)
            )
            pending = [head or b""]
            size = len(pending[0])
            assert isinstance(request.stream, httpx.AsyncByteStream)
            async for chunk in request.stream:
                if not chunk:
                    continue
                pending.append(conn.h11.send(h11.Data(data=chunk)) or b"")
                size += len(chunk)
                if size >= _COALESCE:
                    await conn.write(b"".join(pending), seconds)
                    pending, size = [], 0
            pending.append(conn.h11.send(h11.EndOfMessage()) or b"")
            await conn.write(b"".join(pending), seconds)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc

    async def _acquire(
        self, origin: Origin, connect: float | None, pool_timeout: float | None
    ) -> _Connection:
        pool = self._pool
        deadline = None if pool_timeout is None else time.monotonic() + pool_timeout
        while True:
            conn = pool.take_idle(origin)
            if conn is not None:
                return conn
            if pool.open < pool.max_open or pool.evict_one():
                pool.open += 1
                try:
                    return await self._connect(origin, connect)
                except BaseException:
                    pool.open -= 1
                    pool._wake_one()
                    raise
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            pool.waiters.append(waiter)
            try:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                async with asyncio.timeout(left):
                    await waiter
            except TimeoutError:
                raise httpx.PoolTimeout("no connection free in the pool") from None
            finally:
                if not waiter.done():
                    waiter.cancel()

    async def _connect(self, origin: Origin, seconds: float | None) -> _Connection:
        scheme, host, port = origin
        tls = self._ssl_context() if scheme == "https" else None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(seconds):
                _, conn = await loop.create_connection(
                    lambda: _Connection(origin), host, port, ssl=tls, server_hostname=host if tls else None
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"timed out connecting to {host}:{port}") from None
        except OSError as exc:  # refused, unreachable, name not found, TLS (ssl.SSLError)
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return conn

    def _finished(self, conn: _Connection, reusable: bool) -> None:
        """The exchange on `conn` is over: back to the pool if it ended cleanly, else closed."""
        h = conn.h11
        if reusable and not self._closed and h.our_state is h11.DONE and h.their_state is h11.DONE:
            h.start_next_cycle()
            self._pool.put_back(conn)
        else:
            self._pool.discard(conn)

    async def aclose(self) -> None:
        self._closed = True
        self._pool.close_all()
