"""AsyncDAL: pydal on a bounded thread pool, one connection per worker thread.

pydal is synchronous and its DAL connects in its constructor, so every DAL lives in
one worker thread and all access goes through `run` (a unit of work that commits or
rolls back) or `read` (on a replica when configured). Migration state is kept in the
database itself (`InDBMigrator`), so a Kubernetes Job that migrates loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from pydal import DAL
from pydal.migrator import InDBMigrator

from . import invocations
from .errors import DependencyUnavailable
from .logging import get_logger
from .settings import normalise_database_url

P = ParamSpec("P")
T = TypeVar("T")
Definer = Callable[[DAL], None]

log = get_logger(__name__)


#: Migration state lives in the database (InDBMigrator) under this fixed namespace, so
#: every process and every DATA_DIR sees the same state; nothing is written to disk.
MIGRATION_NAMESPACE = "/waddlebot-migrations"


def open_dal(uri: str, *, migrate: bool = False, attempts: int = 1) -> DAL:
    """Open one pydal connection with WAL and a busy timeout on SQLite."""
    db = DAL(
        uri,
        folder=MIGRATION_NAMESPACE,
        # pydal keys migration records by a hash of the URI, password included: a fixed
        # key keeps them valid when credentials rotate or the host name changes.
        table_hash="waddlebot",
        pool_size=0,
        migrate=migrate,
        fake_migrate=False,
        attempts=attempts,
        adapter_args={"migrator": InDBMigrator},
        lazy_tables=False,
        check_reserved=None,
    )
    if uri.startswith("sqlite"):
        db.executesql("PRAGMA journal_mode=WAL")
        db.executesql("PRAGMA busy_timeout=10000")
        db.executesql("PRAGMA foreign_keys=ON")
        db.executesql("PRAGMA synchronous=NORMAL")
    return db


class AsyncDAL:
    """pydal behind a thread pool; `await db.run(fn, ...)` is one unit of work."""

    def __init__(
        self,
        uri: str,
        *,
        read_uris: Sequence[str] = (),
        pool_size: int = 10,
    ) -> None:
        self.uri = normalise_database_url(uri)
        self.read_uris = [normalise_database_url(u) for u in read_uris]
        self.is_sqlite = self.uri.startswith("sqlite")
        # Core tables every service may write: the modules' invocation records (§12) and
        # the collectors' outboxes (inbound and outbound, used when there is no Redis).
        from .outbox.base import define_tables as define_outbox

        self._definers: list[Definer] = [invocations.define_tables, define_outbox]
        self._pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="dal")
        self._read_pool = (
            ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="dal-read")
            if self.read_uris
            else None
        )
        self._local = threading.local()
        self._opened: list[DAL] = []
        self._opened_lock = threading.Lock()
        # SQLite has one writer at a time; serialising units of work avoids "locked".
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._replica_counter = 0

    def add_models(self, definer: Definer) -> None:
        """Register a service's `define_tables(db)`; applied lazily in every thread."""
        if definer not in self._definers:
            self._definers.append(definer)

    @property
    def definers(self) -> list[Definer]:
        return list(self._definers)

    def _thread_db(self, uri: str, slot: str) -> DAL:
        db: DAL | None = getattr(self._local, slot, None)
        if db is None:
            try:
                db = open_dal(uri)
            except Exception as exc:  # pydal raises RuntimeError after its attempts
                raise DependencyUnavailable("database unavailable", details={}) from exc
            setattr(self._local, slot, db)
            setattr(self._local, slot + "_defined", set())
            with self._opened_lock:
                self._opened.append(db)
        defined: set[int] = getattr(self._local, slot + "_defined")
        for definer in self._definers:
            if id(definer) not in defined:
                definer(db)
                defined.add(id(definer))
        return db

    def _unit(self, uri: str, slot: str, fn: Callable[..., T], *args: Any, write: bool = True) -> T:
        db = self._thread_db(uri, slot)
        lock = self._write_lock if write and slot == "primary" else None
        if lock is not None:
            lock.acquire()
        try:
            result = fn(db, *args)
            db.commit()
            return result
        except BaseException as exc:
            try:
                db.rollback()
            except Exception:  # the connection may be gone; drop it so it reconnects
                self._forget(slot)
            if _connection_lost(exc):  # a restarted or unreachable server: 503, callers retry
                self._forget(slot)
                raise DependencyUnavailable(
                    "database unavailable", details={"reason": type(exc).__name__}
                ) from exc
            raise
        finally:
            if lock is not None:
                lock.release()

    def _forget(self, slot: str) -> None:
        db = getattr(self._local, slot, None)
        setattr(self._local, slot, None)
        if db is not None:
            with self._opened_lock:
                if db in self._opened:
                    self._opened.remove(db)
            try:
                db.close()
            except Exception as exc:
                log.debug("database.close_failed", error=str(exc))

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(db, *args)` in a worker thread; commit on success, roll back on error.

        Inside a module handler the unit first takes the invocation's write record
        (`flask_core.invocations`), so a repeated invocation writes nothing twice.
        """
        loop = asyncio.get_running_loop()
        hook = invocations.UNIT_HOOK.get()
        if hook is not None:
            fn = hook.wrap(fn)
        return await loop.run_in_executor(self._pool, self._unit, self.uri, "primary", fn, *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a read-only `fn(db, *args)`, on a read replica when one is configured."""
        loop = asyncio.get_running_loop()
        if not self.read_uris or self._read_pool is None:
            # No replica: the primary, but without SQLite's one-writer lock (WAL readers
            # run beside the writer).
            return await loop.run_in_executor(
                self._pool, functools.partial(self._unit, self.uri, "primary", fn, *args, write=False)
            )
        self._replica_counter += 1
        index = self._replica_counter % len(self.read_uris)
        uri = self.read_uris[index]
        return await loop.run_in_executor(self._read_pool, self._unit, uri, f"replica{index}", fn, *args)

    async def ping(self) -> None:
        await self.run(lambda db: db.executesql("SELECT 1"))

    async def migrate(self) -> list[str]:
        """Create or alter every registered table; running it twice changes nothing."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._migrate_sync)

    def _migrate_sync(self) -> list[str]:
        db = open_dal(self.uri, migrate=True, attempts=3)
        try:
            for definer in self._definers:
                definer(db)
            db.commit()
            return list(db.tables)
        finally:
            db.close()

    def _close_thread(self, barrier: threading.Barrier) -> None:
        # pydal keeps connections in thread-locals: each thread must close its own.
        for slot in [k for k in vars(self._local) if not k.endswith("_defined")]:
            self._forget(slot)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)

    async def close(self) -> None:
        """Close every worker thread's connection, then the pools."""
        loop = asyncio.get_running_loop()
        for pool in (self._pool, self._read_pool):
            if pool is None:
                continue
            workers = pool._max_workers
            barrier = threading.Barrier(workers)
            await asyncio.gather(
                *(loop.run_in_executor(pool, self._close_thread, barrier) for _ in range(workers))
            )
            pool.shutdown(wait=True)


def ensure_index(db: DAL, table: str, name: str, fields: Sequence[str], *, unique: bool = False) -> None:
    """Create an index during migration only (a no-op for ordinary connections)."""
    if not getattr(db, "_migrate", False):
        return
    columns = ", ".join(f'"{f}"' for f in fields)
    kind = "UNIQUE INDEX" if unique else "INDEX"
    db.executesql(f'CREATE {kind} IF NOT EXISTS "{name}" ON "{table}" ({columns})')


def _connection_lost(exc: BaseException) -> bool:
    """The server went away (psycopg2's OperationalError / InterfaceError), not a bad query."""
    import psycopg2

    if isinstance(exc, psycopg2.InterfaceError):
        return True
    if isinstance(exc, psycopg2.OperationalError):
        return not isinstance(exc, psycopg2.errors.QueryCanceled)
    return False


def is_integrity_error(exc: BaseException) -> bool:
    """A unique or foreign-key violation from either backend (a lost race, usually)."""
    import sqlite3

    import psycopg2

    return isinstance(exc, sqlite3.IntegrityError | psycopg2.IntegrityError)


def serialize_on(db: DAL, *parts: object) -> None:
    """Serialise units of work that share `parts` until this transaction ends.

    PostgreSQL: a transaction-scoped advisory lock (released on commit or rollback);
    SQLite: nothing to do, AsyncDAL already runs one writer at a time.
    """
    if db._dbname == "sqlite":
        return
    key = ":".join(str(p) for p in parts)
    db.executesql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", placeholders=[key])
