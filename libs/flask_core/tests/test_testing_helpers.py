"""The test helpers themselves: a test database of the run's own, reserved ports."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from quart import Blueprint

from flask_core import settings as core_settings
from flask_core.app import create_app
from flask_core.testing import (
    DatabaseSetupError,
    FakeHttpServer,
    free_tcp_port,
    live_server,
    release_tcp_port,
    session_database,
)


def test_a_database_that_cannot_be_created_fails_instead_of_using_the_given_one() -> None:
    url = core_settings.TestRunSettings().test_database_url
    if not url:
        pytest.skip("TEST_DATABASE_URL unset")
    existing = urlparse(url).path.lstrip("/")
    # CREATE DATABASE of an existing name fails, as it does for a role without CREATEDB.
    with pytest.raises(DatabaseSetupError, match="CREATEDB"), session_database(url, name=existing):
        pytest.fail("the given database must never be handed out")


def test_session_database_is_a_new_database(postgres_url: str) -> None:
    given = urlparse(core_settings.TestRunSettings().test_database_url).path
    assert urlparse(postgres_url).path != given
    assert urlparse(postgres_url).path.startswith("/wbtest_")


def test_a_reserved_port_cannot_be_taken_by_another_program() -> None:
    port = free_tcp_port()
    try:
        other = socket.socket()
        with other, pytest.raises(OSError, match="in use"):
            other.bind(("127.0.0.1", port))
    finally:
        release_tcp_port(port)
    with socket.socket() as after:
        after.bind(("127.0.0.1", port))  # released: free again


def _app(settings: Any) -> Any:
    bp = Blueprint("ping", __name__)

    @bp.get("/api/v1/ping")
    async def ping() -> Any:
        return {"pong": True}

    return create_app("ping", settings, [bp], "ping")


async def test_live_server_takes_the_reserved_socket_over(make_settings: Any, free_port: int) -> None:
    app = _app(make_settings(port=free_port))
    async with live_server(app, free_port) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/ping/api/v1/ping")).json() == {"pong": True}
    # Stopped: the port refuses connections rather than hanging in a listen backlog.
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/ping/api/v1/ping")
    # And it can serve again on the same port (bound by address this time).
    again = _app(make_settings(port=free_port))
    async with live_server(again, free_port) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/ping/api/v1/ping")).status_code == 200


async def test_fake_server_takes_the_reserved_socket_over(free_port: int) -> None:
    async with FakeHttpServer().serving(free_port) as server, httpx.AsyncClient() as http:
        assert server.url == f"http://127.0.0.1:{free_port}"
        assert (await http.get(f"{server.url}/anything")).status_code == 404
    assert server.calls("/anything")
