"""pytest plugin (entry point `flask_core`): settings, storage, app, client and fakes.

Storage fixtures use the real servers: `TEST_REDIS_URL` (default
redis://127.0.0.1:6379/0) and `TEST_DATABASE_URL`. A missing server fails the run
under `CI=true` and skips the test locally, with the reason. Platform APIs are faked
by `FakeHttpServer` (local, recording; the fixture `fake_http`) and apps are served by
`live_server`, both from `local_servers`; `wait_until(check)` (the fixture `eventually`)
polls until a condition holds.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from .local_servers import FakeHttpServer as FakeHttpServer
from .local_servers import Recorded as Recorded
from .local_servers import free_tcp_port as free_tcp_port
from .local_servers import live_server as live_server
from .local_servers import release_tcp_port as release_tcp_port
from .settings import TestRunSettings

TEST_SECRET = "test-internal-secret-0123456789abcdef0123456789"
TEST_PORTAL_SECRET = "test-portal-secret-0123456789abcdef0123456789"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), 1):
            return True
    except OSError:
        return False


def _missing(what: str, url: str) -> None:
    message = f"{what} is not reachable at {url}"
    if TestRunSettings().ci:
        pytest.fail(message + " (CI=true: storage tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis used by tests."""
    url = TestRunSettings().test_redis_url
    if not _reachable(url, 6379):
        _missing("Redis", url)
    return url


class DatabaseSetupError(RuntimeError):
    """A test database of the run's own could not be made."""


@contextmanager
def session_database(url: str, name: str | None = None) -> Iterator[str]:
    """A new database on `url`'s server (the URL of it), dropped afterwards.

    Raises DatabaseSetupError when it cannot be created, and never falls back to the
    database of `url`: the fixtures empty every table they use.
    """
    import psycopg2

    name = name or f"wbtest_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    dsn = url.replace("postgres://", "postgresql://", 1)
    try:
        admin = psycopg2.connect(dsn)
    except psycopg2.Error as exc:
        raise DatabaseSetupError(f"cannot connect to {url}: {str(exc).strip()}") from None
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    except psycopg2.Error as exc:
        admin.close()
        raise DatabaseSetupError(
            f"cannot create a test database from TEST_DATABASE_URL ({str(exc).strip()}); "
            "the role needs CREATEDB. Refusing to use the given database itself: "
            "the tests would empty its tables."
        ) from None
    try:
        yield urlparse(dsn)._replace(path=f"/{name}").geturl()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test session's own, made from TEST_DATABASE_URL.

    The role needs CREATEDB (scripts/ensure-services.sh grants it), so concurrent test
    runs never share tables. Without it the run fails (`session_database`).
    """
    url = TestRunSettings().test_database_url
    if not url:
        _missing("PostgreSQL (TEST_DATABASE_URL unset)", "<unset>")
    if not _reachable(url.replace("postgres://", "postgresql://"), 5432):
        _missing("PostgreSQL", url)
    with ExitStack() as stack:
        try:
            own = stack.enter_context(session_database(url))
        except DatabaseSetupError as exc:
            pytest.fail(str(exc))
        yield own


@pytest.fixture
def key_prefix() -> str:
    """A Redis key prefix unique to this test, so tests never see each other's keys."""
    return f"wbtest:{uuid.uuid4().hex[:12]}:"


@pytest_asyncio.fixture
async def redis_client(redis_url: str, key_prefix: str) -> AsyncIterator[Redis]:
    """A real Redis client; every key under this test's prefix is deleted afterwards."""
    from .resources import open_redis

    client: Redis = open_redis(redis_url)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=key_prefix + "*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose(close_connection_pool=True)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def free_port() -> Iterator[int]:
    """A port reserved for this test (see `local_servers`): hand it to `live_server`."""
    port = free_tcp_port()
    try:
        yield port
    finally:
        release_tcp_port(port)


@pytest_asyncio.fixture
async def fake_http() -> AsyncIterator[FakeHttpServer]:
    """A started `FakeHttpServer` on a free port (route or script it, then read `.requests`)."""
    async with FakeHttpServer().serving() as server:
        yield server


async def wait_until(check: Callable[[], Any], within: float = 8.0) -> None:
    """Poll `check` (sync or async) until it is truthy; AssertionError after `within` s."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
def eventually() -> Callable[..., Any]:
    """`await eventually(check, within=8.0)`: `wait_until` as a fixture."""
    return wait_until


def base_env(data_dir: Path, **overrides: Any) -> dict[str, Any]:
    """Settings values for a test: ENV=test, fixed secrets, SQLite under data_dir."""
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": data_dir,
        "internal_jwt_secret": TEST_SECRET,
        "portal_jwt_secret": TEST_PORTAL_SECRET,
        "log_format": "json",
        "router_default_cooldown": 0,  # ARCHITECTURE §12: tests about cooldowns set their own
    }
    values.update(overrides)
    return values


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings must come from the test, never from the developer's shell."""
    for name in list(os.environ):
        if name.endswith("_URL") and not name.startswith("TEST_"):
            monkeypatch.delenv(name, raising=False)
    for name in ("ENV", "DATA_DIR", "INTERNAL_JWT_SECRET", "PORTAL_JWT_SECRET", "PORT", "HOST"):
        monkeypatch.delenv(name, raising=False)
    # The machine's Redis keeps nothing on disk; tests about persistence start their own.
    monkeypatch.setenv("OUTBOX_ALLOW_VOLATILE_REDIS", "true")
    yield


# --- settings and storage -------------------------------------------------------


@pytest.fixture
def make_settings(data_dir: Path, key_prefix: str) -> Any:
    """`make_settings(cls=CoreSettings, **overrides)`: settings for this test."""
    from .settings import CoreSettings

    def factory(cls: type[Any] = CoreSettings, **overrides: Any) -> Any:
        return cls(**base_env(data_dir, redis_key_prefix=key_prefix, **overrides))

    return factory


@pytest.fixture
def settings(make_settings: Any) -> Any:
    """Core settings: embedded default (SQLite under a temp DATA_DIR, no Redis)."""
    return make_settings()


@pytest.fixture(params=["sqlite", "postgres"], ids=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    """Parametrised over SQLite and the real PostgreSQL test database."""
    if request.param == "sqlite":
        return f"sqlite://{(data_dir / 'test.sqlite').resolve()}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=["embedded", "fleet"], ids=["embedded", "fleet"])
def backend(request: pytest.FixtureRequest, data_dir: Path) -> dict[str, Any]:
    """Settings overrides for the two ways WaddleBot runs.

    embedded: SQLite and in-process cache/limits; fleet: real PostgreSQL and Redis.
    """
    if request.param == "embedded":
        return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}
    return {
        "database_url": request.getfixturevalue("postgres_url"),
        "redis_url": request.getfixturevalue("redis_url"),
    }


# --- running apps -----------------------------------------------------------------


def _truncate_all(db: Any) -> None:
    names = [t for t in db.tables if t != "web2py_filesystem"]
    if names:
        db.executesql("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE")


async def reset_database(settings: Any, apps: Any) -> None:
    """Migrate the apps' tables and, on PostgreSQL, empty them (tests share one database)."""
    from .database import AsyncDAL

    db = AsyncDAL(settings.effective_database_url(), pool_size=1)
    try:
        for app in apps:
            for definer in app.extensions["waddlebot.models"]:
                db.add_models(definer)
        await db.migrate()
        if not db.is_sqlite:
            await db.run(_truncate_all)
    finally:
        await db.close()


@asynccontextmanager
async def started(*apps: Any, settings: Any) -> AsyncIterator[Any]:
    """Open one Resources for `apps`, migrate (and empty PostgreSQL tables), start them."""
    from .resources import Resources

    res = await Resources.open(settings)
    running: list[Any] = []
    try:
        for app in apps:
            for definer in app.extensions["waddlebot.models"]:
                res.db.add_models(definer)
        await res.db.migrate()
        if not res.db.is_sqlite:
            await res.db.run(_truncate_all)
        for app in apps:
            app.extensions["waddlebot.resources"] = res
            await app.startup()
            running.append(app)
        yield res
    finally:
        for app in reversed(running):
            await app.shutdown()
        await res.close()


@pytest_asyncio.fixture
async def client(app: Any) -> AsyncIterator[Any]:
    """A test client for the `app` fixture, with its real lifespan and Resources."""
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        yield app.test_client()


def service_headers(audience: str, issuer: str = "test", secret: str = TEST_SECRET) -> dict[str, str]:
    """Authorization header with a valid service token for `audience`."""
    from .auth import mint_service_token

    return {"Authorization": f"Bearer {mint_service_token(secret, issuer, audience)}"}
