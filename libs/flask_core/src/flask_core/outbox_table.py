"""The `outbox` table behind `flask_core.outbox` when there is no Redis.

Due rows (`status = pending`, `next_attempt_at <= now`) are claimed by a conditional
update that moves `next_attempt_at` one lease ahead, so exactly one worker holds a row;
a worker that dies leaves its rows to be claimed again when the lease runs out.
`created_at` is kept to the second, so an entry may expire up to a second early.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Any

from .outbox import Outbox, OutboxEntry, OutboxPolicy
from .resources import Resources


class TableOutbox(Outbox):
    """The `outbox` table: due rows are claimed by moving `next_attempt_at` past a lease."""

    def __init__(self, res: Resources, platform: str, policy: OutboxPolicy) -> None:
        super().__init__(res, platform, policy)
        self._wake = asyncio.Event()

    async def _put(self, payload: dict[str, Any]) -> str:
        now = time.time()

        def insert(db: Any) -> int:
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

        entry_id = await self.res.db.run(insert)
        self._wake.set()
        return str(entry_id)

    async def claim(self, limit: int, wait: float) -> list[OutboxEntry]:
        self._wake.clear()
        entries = await self.res.db.run(_claim_rows, self.platform, limit, self.policy.lease)
        if not entries and wait > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()
        return entries

    async def ack(self, entry: OutboxEntry) -> None:
        await self.res.db.run(lambda db: db(db.outbox.id == int(entry.id)).delete())

    async def retry(self, entry: OutboxEntry, error: str, delay: float) -> None:
        values = {"attempts": entry.attempts, "last_error": error, "next_attempt_at": time.time() + delay}
        await self.res.db.run(lambda db: db(db.outbox.id == int(entry.id)).update(**values))

    async def dead_letter(self, entry: OutboxEntry, error: str) -> None:
        values = {"attempts": entry.attempts, "last_error": error, "status": "dead"}
        await self.res.db.run(lambda db: db(db.outbox.id == int(entry.id)).update(**values))

    async def pending(self) -> int:
        def count(db: Any) -> int:
            t = db.outbox
            return int(db((t.platform == self.platform) & (t.status == "pending")).count())

        return await self.res.db.run(count)

    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        def select(db: Any) -> list[dict[str, Any]]:
            t = db.outbox
            rows = db((t.platform == self.platform) & (t.status == "dead")).select(
                orderby=~t.id, limitby=(0, limit)
            )
            return [
                {
                    "id": str(r.id),
                    "payload": r.payload,
                    "attempts": r.attempts,
                    "last_error": r.last_error,
                    "created_at": _epoch(r.created_at),
                }
                for r in rows
            ]

        return await self.res.db.run(select)


def _epoch(value: datetime | None) -> float:
    return value.replace(tzinfo=UTC).timestamp() if value is not None else time.time()


def _claim_rows(db: Any, platform: str, limit: int, lease: float) -> list[OutboxEntry]:
    """Take due rows: a conditional update wins each row for exactly one worker."""
    now = time.time()
    t = db.outbox
    due = (t.platform == platform) & (t.status == "pending") & (t.next_attempt_at <= now)
    owned: list[OutboxEntry] = []
    for row in db(due).select(orderby=t.next_attempt_at | t.id, limitby=(0, limit)):
        mine = (t.id == row.id) & (t.status == "pending") & (t.next_attempt_at == row.next_attempt_at)
        if db(mine).update(next_attempt_at=now + lease):
            owned.append(
                OutboxEntry(
                    str(row.id), row.payload, row.attempts or 0, _epoch(row.created_at), row.last_error
                )
            )
    return owned
