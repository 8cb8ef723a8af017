from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydal import Field

from flask_core.database import AsyncDAL, open_dal
from flask_core.settings import normalise_database_url


def define_notes(db: Any) -> None:
    db.define_table("notes", Field("body", "string", length=200, notnull=True), Field("n", "integer"))


@pytest.fixture
async def dal(database_url: str, data_dir: Path) -> Any:
    db = AsyncDAL(database_url, pool_size=4)
    db.add_models(define_notes)
    await db.migrate()
    await db.run(lambda d: d(d.notes).delete())
    yield db
    await db.close()


async def test_unit_of_work_commits(dal: AsyncDAL) -> None:
    await dal.run(lambda d: d.notes.insert(body="hello", n=1))
    rows = await dal.read(lambda d: d(d.notes).select().as_list())
    assert [r["body"] for r in rows] == ["hello"]


async def test_unit_of_work_rolls_back_on_error(dal: AsyncDAL) -> None:
    def half_written(d: Any) -> None:
        d.notes.insert(body="first", n=1)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await dal.run(half_written)
    assert await dal.read(lambda d: d(d.notes).count()) == 0


async def test_concurrent_writers_do_not_lock(dal: AsyncDAL) -> None:
    await asyncio.gather(*(dal.run(lambda d, i=i: d.notes.insert(body=f"n{i}", n=i)) for i in range(40)))
    assert await dal.read(lambda d: d(d.notes).count()) == 40


async def test_migrate_is_idempotent(dal: AsyncDAL) -> None:
    await dal.run(lambda d: d.notes.insert(body="kept", n=7))
    first = await dal.migrate()
    second = await dal.migrate()
    assert first == second
    assert "notes" in second
    assert await dal.read(lambda d: d(d.notes.body == "kept").count()) == 1


async def test_migrate_adds_a_new_column_once(database_url: str) -> None:
    name = f"evolving_{uuid.uuid4().hex[:8]}"

    def v1(d: Any) -> None:
        d.define_table(name, Field("a", "string"))

    def v2(d: Any) -> None:
        d.define_table(name, Field("a", "string"), Field("b", "integer"))

    db = AsyncDAL(database_url, pool_size=2)
    db.add_models(v1)
    await db.migrate()
    await db.close()
    db2 = AsyncDAL(database_url, pool_size=2)
    db2.add_models(v2)
    await db2.migrate()
    await db2.migrate()
    await db2.run(lambda d: d[name].insert(a="x", b=2))
    assert await db2.read(lambda d: d(d[name].b == 2).count()) == 1
    await db2.close()

    def drop() -> None:  # through a migrating connection, so the migration record goes too
        conn = open_dal(normalise_database_url(database_url), migrate=True)
        v2(conn)
        conn[name].drop()
        conn.commit()
        conn.close()

    await asyncio.to_thread(drop)


async def test_sqlite_uses_wal(data_dir: Path) -> None:
    db = AsyncDAL(f"sqlite://{data_dir / 'wal.sqlite'}", pool_size=1)
    mode = await db.run(lambda d: d.executesql("PRAGMA journal_mode")[0][0])
    await db.close()
    assert mode == "wal"


async def test_reads_go_to_the_replica(data_dir: Path) -> None:
    primary = f"sqlite://{data_dir / 'primary.sqlite'}"
    replica = f"sqlite://{data_dir / 'replica.sqlite'}"
    for uri, body in ((primary, "from-primary"), (replica, "from-replica")):
        setup = AsyncDAL(uri, pool_size=1)
        setup.add_models(define_notes)
        await setup.migrate()
        await setup.run(lambda d, b=body: d.notes.insert(body=b, n=1))
        await setup.close()
    db = AsyncDAL(primary, read_uris=[replica], pool_size=2)
    db.add_models(define_notes)
    read = await db.read(lambda d: d(d.notes).select().first().body)
    written = await db.run(lambda d: d(d.notes).select().first().body)
    await db.close()
    assert read == "from-replica"
    assert written == "from-primary"


async def test_migrations_survive_a_credential_change(postgres_url: str) -> None:
    """The same database reached by another URL (rotated password, other host name)."""
    from urllib.parse import urlparse

    def notes(d: Any) -> None:
        d.define_table("rotation_notes", Field("body", "string"))

    db = AsyncDAL(postgres_url, pool_size=1)
    db.add_models(notes)
    await db.migrate()
    await db.close()
    parsed = urlparse(postgres_url.replace("postgres://", "postgresql://", 1))
    other = parsed._replace(netloc=parsed.netloc.replace("127.0.0.1", "localhost")).geturl()
    assert other != postgres_url
    db2 = AsyncDAL(other, pool_size=1)
    db2.add_models(notes)
    await db2.migrate()
    await db2.run(lambda d: d.rotation_notes.insert(body="still here"))
    assert await db2.read(lambda d: d(d.rotation_notes).count()) == 1
    await db2.close()
