"""The `outbox` table behind `flask_core.outbox` when there is no Redis.

Due rows (`status = pending`, `next_attempt_at <= now`) are claimed by a conditional
update that moves `next_attempt_at` one lease ahead, so exactly one worker holds a row;
a worker that dies leaves its rows to be claimed again when the lease runs out.
`created_at` is kept to the second, so an entry may expire up to a second early.
A keyed put inserts the dedupe key (`outbox_keys`, unique) and the row in one unit of
work: a lost race or a repeat rolls both back and answers "duplicate". Expired keys are
swept now and then by the claiming worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..database import is_integrity_error
from ..resources import Resources
from .base import Outbox, OutboxEntry, OutboxPolicy, dead_letter_row

SWEEP_EVERY = 300.0  # seconds between sweeps of expired dedupe keys


class TableOutbox(Outbox):
    """The `outbox` table: due rows are claimed by moving `next_attempt_at` past a lease."""

    def __init__(self, res: Resources, platform: str, policy: OutboxPolicy) -> None:
        super().__init__(res, platform, policy)
        self._wake = asyncio.Event()
        self._swept = 0.0

    async def _put(self, payload: dict[str, Any], key: str | None, key_ttl: float) -> str | None:
        now = time.time()

        def insert(db: Any) -> int | None:
            if key is not None and not _take_key(db, key, now + key_ttl, now):
                return None
            return int(
                db.outbox.insert(
                    platform=self.platform,
                    event_id=str(payload.get("event_id", ""))[:200],
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    payload=payload,
                    created_at=datetime.fromtimestamp(now, UTC).replace(tzinfo=None),
                )
            )

        try:
            entry_id = await self.res.db.run(insert)
        except Exception as exc:
            if key is not None and is_integrity_error(exc):  # a concurrent copy took the key
                return None
            raise
        if entry_id is None:
            return None
        self._wake.set()
        return str(entry_id)

    async def claim(self, limit: int, wait: float) -> list[OutboxEntry]:
        self._wake.clear()
        if time.time() - self._swept > SWEEP_EVERY:
            self._swept = time.time()
            await self.res.db.run(lambda db: db(db.outbox_keys.expires_at < self._swept).delete())
        entries = await self.res.db.run(_claim_rows, self.platform, limit, self.policy.lease)
        if not entries and wait > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
        return entries

    async def extend(self, entries: Sequence[OutboxEntry]) -> None:
        ids = [int(e.id) for e in entries]
        if ids:
            until = time.time() + self.policy.lease
            await self.res.db.run(
                lambda db: db(db.outbox.id.belongs(ids) & (db.outbox.status == "pending")).update(
                    next_attempt_at=until
                )
            )

    async def release(self, entries: Sequence[OutboxEntry]) -> None:
        ids = [int(e.id) for e in entries]
        if ids:  # due at once; claims take due rows in insertion order
            await self.res.db.run(
                lambda db: db(db.outbox.id.belongs(ids) & (db.outbox.status == "pending")).update(
                    next_attempt_at=0.0
                )
            )

    async def ack(self, entry: OutboxEntry) -> None:
        await self.res.db.run(lambda db: db(db.outbox.id == int(entry.id)).delete())

    async def retry(self, entry: OutboxEntry, error: str, delay: float) -> None:
        values = {
            "attempts": entry.attempts,
            "last_error": error,
            "next_attempt_at": time.time() + delay,
            "payload": entry.payload,
        }
        await self.res.db.run(lambda db: db(db.outbox.id == int(entry.id)).update(**values))

    async def dead_letter(self, entry: OutboxEntry, error: str) -> None:
        values = {"attempts": entry.attempts, "last_error": error, "status": "dead"}
        await self.res.db.run(lambda db: db(db.outbox.id == int(entry.id)).update(**values))

    async def pending(self) -> int:
        def count(db: Any) -> int:
            t = db.outbox
            return int(db((t.platform == self.platform) & (t.status == "pending")).count())

        return await self.res.db.run(count)

    async def dead_count(self) -> int:
        def count(db: Any) -> int:
            t = db.outbox
            return int(db((t.platform == self.platform) & (t.status == "dead")).count())

        return await self.res.db.run(count)

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        return await self.res.db.run(_rows, self.platform, "dead", limit)

    async def waiting(self, limit: int = 100) -> list[dict[str, Any]]:
        return await self.res.db.run(_rows, self.platform, "pending", limit)

    async def replay(self, entry_id: str | None = None) -> int:
        def move(db: Any) -> int:
            t = db.outbox
            query = (t.platform == self.platform) & (t.status == "dead")
            if entry_id is not None:
                if not entry_id.isdigit():
                    return 0
                query &= t.id == int(entry_id)
            return int(db(query).update(status="pending", attempts=0, next_attempt_at=time.time()))

        moved = await self.res.db.run(move)
        if moved:
            self._wake.set()
        return moved


def _rows(db: Any, platform: str, status: str, limit: int) -> list[dict[str, Any]]:
    t = db.outbox
    order = ~t.id if status == "dead" else t.id
    rows = db((t.platform == platform) & (t.status == status)).select(orderby=order, limitby=(0, limit))
    return [
        dead_letter_row(
            OutboxEntry(str(r.id), r.payload, r.attempts or 0, _epoch(r.created_at), r.last_error)
        )
        for r in rows
    ]


def _take_key(db: Any, key: str, expires_at: float, now: float) -> bool:
    """Take a dedupe key in this unit of work; False when it is held and not expired."""
    t = db.outbox_keys
    row = db(t.dedupe_key == key).select(t.id, t.expires_at, limitby=(0, 1)).first()
    if row is None:
        t.insert(dedupe_key=key, expires_at=expires_at)  # a racing copy fails on the unique index
        return True
    if row.expires_at > now:
        return False
    return bool(db((t.id == row.id) & (t.expires_at == row.expires_at)).update(expires_at=expires_at))


def _epoch(value: datetime | None) -> float:
    return value.replace(tzinfo=UTC).timestamp() if value is not None else time.time()


def _claim_rows(db: Any, platform: str, limit: int, lease: float) -> list[OutboxEntry]:
    """Take due rows: a conditional update wins each row for exactly one worker."""
    now = time.time()
    t = db.outbox
    due = (t.platform == platform) & (t.status == "pending") & (t.next_attempt_at <= now)
    owned: list[OutboxEntry] = []
    for row in db(due).select(orderby=t.id, limitby=(0, limit)):  # oldest first: a channel's order
        mine = (t.id == row.id) & (t.status == "pending") & (t.next_attempt_at == row.next_attempt_at)
        if db(mine).update(next_attempt_at=now + lease):
            owned.append(
                OutboxEntry(
                    str(row.id), row.payload, row.attempts or 0, _epoch(row.created_at), row.last_error
                )
            )
    return owned
