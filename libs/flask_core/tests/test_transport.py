"""The h11 transport against real HTTP servers: aiohttp's (keep-alive, chunked, gzip, TLS)
and raw asyncio sockets that misbehave (close mid-body, never answer, close when idle)."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.transport import H11Transport

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Server:
    """An aiohttp server on 127.0.0.1 that records each request's client port."""

    def __init__(self) -> None:
        self.peers: list[int] = []
        self.app = web.Application(client_max_size=8 * 1024 * 1024)
        self.runner: web.AppRunner | None = None
        self.url = ""

        self.handlers: dict[str, Handler] = {}
        self.app.router.add_route("*", "/{path:.*}", self._dispatch)

    def add(self, method: str, path: str, handler: Handler) -> None:
        self.handlers[path] = handler

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.peers.append(peer[1] if peer else -1)
        return await self.handlers[request.path](request)

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.runner = web.AppRunner(self.app, keepalive_timeout=30)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


async def echo(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    return web.json_response({"method": request.method, "size": len(body), "query": request.query_string})


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    s = Server()
    s.add("*", "/echo", echo)
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=H11Transport(), timeout=5) as c:
        yield c


async def test_round_trips_reuse_one_connection(server: Server, client: httpx.AsyncClient) -> None:
    for n in range(5):
        answer = await client.post(f"{server.url}/echo?n={n}", json={"n": n})
        assert answer.status_code == 200
        assert answer.json() == {
            "method": "POST",
            "size": len(json.dumps({"n": n}).replace(" ", "")),
            "query": f"n={n}",
        }
        assert answer.http_version == "HTTP/1.1"
    assert len(set(server.peers)) == 1  # one keep-alive connection for all five


async def test_bodies_of_every_shape_arrive_whole(server: Server, client: httpx.AsyncClient) -> None:
    big = bytes(range(256)) * 8192  # 2 MiB

    async def blob(request: web.Request) -> web.StreamResponse:
        return web.Response(body=big)

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i in range(50):
            await response.write(f"line {i}\n".encode())
        await response.write_eof()
        return response

    async def zipped(request: web.Request) -> web.StreamResponse:
        return web.Response(body=gzip.compress(b"hello " * 1000), headers={"Content-Encoding": "gzip"})

    async def empty(request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    server.add("GET", "/blob", blob)
    server.add("GET", "/chunked", chunked)
    server.add("GET", "/zipped", zipped)
    server.add("GET", "/empty", empty)
    assert (await client.get(f"{server.url}/blob")).content == big
    async with client.stream("GET", f"{server.url}/chunked") as streamed:
        lines = [line async for line in streamed.aiter_lines()]
    assert lines == [f"line {i}" for i in range(50)]
    assert (await client.get(f"{server.url}/zipped")).text == "hello " * 1000  # httpx decodes it
    assert (await client.get(f"{server.url}/empty")).status_code == 204
    head = await client.head(f"{server.url}/blob")
    assert head.status_code == 200 and head.content == b""
    upload = await client.post(f"{server.url}/echo", content=big)
    assert upload.json()["size"] == len(big)

    async def parts() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 100_000

    streamed_up = await client.post(f"{server.url}/echo", content=parts())  # chunked request body
    assert streamed_up.json()["size"] == 1_000_000
    assert len(set(server.peers)) == 1  # every exchange ended cleanly: the connection stayed


async def test_concurrent_calls_stay_within_the_pool(server: Server) -> None:
    active = 0
    most = 0

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.02)
        active -= 1
        return web.json_response({"ok": True})

    server.add("GET", "/slow", slow)
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    async with httpx.AsyncClient(transport=H11Transport(limits=limits), timeout=10) as client:
        answers = await asyncio.gather(*(client.get(f"{server.url}/slow") for _ in range(40)))
    assert all(a.status_code == 200 for a in answers)
    assert most <= 4 and len(set(server.peers)) <= 4


async def test_a_full_pool_times_out_as_httpx_says(server: Server) -> None:
    release = asyncio.Event()

    async def held(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.json_response({})

    server.add("GET", "/held", held)
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(transport=H11Transport(limits=limits)) as client:
        first = asyncio.create_task(client.get(f"{server.url}/held", timeout=5))
        await asyncio.sleep(0.1)
        with pytest.raises(httpx.PoolTimeout):
            await client.get(f"{server.url}/echo", timeout=httpx.Timeout(5, pool=0.2))
        release.set()
        assert (await first).status_code == 200
        assert (await client.get(f"{server.url}/echo")).status_code == 200  # the slot came back


async def test_connection_close_and_idle_closes_open_a_new_connection(server: Server) -> None:
    async def closing(request: web.Request) -> web.StreamResponse:
        return web.json_response({"bye": True}, headers={"Connection": "close"})

    server.add("GET", "/closing", closing)
    async with httpx.AsyncClient(transport=H11Transport(), timeout=5) as client:
        assert (await client.get(f"{server.url}/closing")).json() == {"bye": True}
        assert (await client.get(f"{server.url}/echo")).status_code == 200
    assert len(set(server.peers)) == 2


class RawServer:
    """A socket server whose answer to each connection is `behaviour(reader, writer)`."""

    def __init__(
        self, behaviour: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
    ) -> None:
        self.behaviour = behaviour
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.url = ""

    async def __aenter__(self) -> RawServer:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.behaviour(reader, writer)
            finally:
                writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    return head + (await reader.readexactly(length) if length else b"")


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    async def once_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()  # and closes: no Connection: close header, as a keep-alive timeout does

    async with (
        RawServer(once_then_close) as raw,
        httpx.AsyncClient(transport=H11Transport(), timeout=5) as client,
    ):
        assert (await client.get(raw.url)).text == "ok"
        await asyncio.sleep(0.1)  # the server's FIN arrives while the connection is idle
        assert (await client.post(raw.url, json={})).text == "ok"  # not "server disconnected"
        assert raw.connections == 2


async def test_misbehaving_servers_give_httpx_errors_and_never_a_reused_connection() -> None:
    async def cut_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        await writer.drain()

    async with (
        RawServer(cut_mid_body) as raw,
        httpx.AsyncClient(transport=H11Transport(), timeout=5) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(raw.url)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with RawServer(silent) as raw, httpx.AsyncClient(transport=H11Transport()) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(raw.url, timeout=0.2)
        with pytest.raises(httpx.ReadTimeout):
            await client.get(raw.url, timeout=0.2)
        assert raw.connections == 2  # the timed-out connection was closed, not reused

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()

    async with RawServer(garbage) as raw, httpx.AsyncClient(transport=H11Transport(), timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(raw.url)

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    async with RawServer(hang_up) as raw, httpx.AsyncClient(transport=H11Transport(), timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(raw.url)


async def test_a_cancelled_call_closes_its_connection() -> None:
    started = asyncio.Event()

    async def slow_then_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            started.set()
            await asyncio.sleep(0.3)
            writer.write(OK)
            await writer.drain()

    async with (
        RawServer(slow_then_ok) as raw,
        httpx.AsyncClient(transport=H11Transport(), timeout=5) as client,
    ):
        call = asyncio.create_task(client.get(raw.url))
        await started.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert (await client.get(raw.url)).text == "ok"  # a fresh connection, not the late answer
        assert raw.connections == 2


async def test_refused_and_unknown_hosts_are_connect_errors() -> None:
    async with httpx.AsyncClient(transport=H11Transport(), timeout=2) as client:
        with pytest.raises(httpx.ConnectError) as refused:
            await client.get("http://127.0.0.1:1/")
        assert isinstance(refused.value.__cause__, OSError)
        with pytest.raises(httpx.ConnectError):
            await client.get("http://no-such-host.invalid/")
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.get("ftp://127.0.0.1/")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_verifies_the_certificate(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    s = Server()
    s.add("*", "/echo", echo)
    await s.start(ssl_context=context)
    try:
        async with httpx.AsyncClient(transport=H11Transport(), timeout=5) as client:
            with pytest.raises(httpx.ConnectError) as refused:
                await client.get(f"{s.url}/echo")  # self-signed: not trusted by default
            assert isinstance(refused.value.__cause__, ssl.SSLError)
        async with httpx.AsyncClient(transport=H11Transport(verify=False), timeout=5) as client:
            assert (await client.get(f"{s.url}/echo")).status_code == 200  # VERIFY_SSL=false
        trusted = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(transport=H11Transport(verify=trusted), timeout=5) as client:
            for _ in range(3):
                assert (await client.get(f"{s.url}/echo")).json()["method"] == "GET"
        assert len(set(s.peers[1:])) == 1  # TLS connections are kept alive too
    finally:
        await s.stop()


async def test_closing_the_transport_closes_idle_connections(server: Server) -> None:
    transport = H11Transport()
    async with httpx.AsyncClient(transport=transport, timeout=5) as client:
        assert (await client.get(f"{server.url}/echo")).status_code == 200
        assert transport._pool.open == 1
    assert transport._pool.open == 0
    with pytest.raises(RuntimeError):
        await transport.handle_async_request(httpx.Request("GET", f"{server.url}/echo"))
