"""Chat points, accrued in batches: never one write per message.

Each `chat_message` the router fans out is counted in memory per (community, platform
user, minute). Every `REPUTATION_FLUSH_INTERVAL` seconds (and when the service stops)
the buffer is resolved to internal users (cached answers, one identity batch call for
the rest) and written as ONE unit of work: one ledger entry and one balance update per
user. The per-minute cap holds across flushes of the same minute. A crash loses at most
the current window; a failed flush puts the counts back for the next one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from flask_core import get_logger
from flask_core.events import Event, EventUser
from flask_core.metrics import counter
from flask_core.resources import Resources

from . import service, users, weights

log = get_logger(__name__)
FLUSHED = counter("waddlebot_reputation_chat_flushes_total", "Chat point flushes by outcome", ("outcome",))
Key = tuple[int, str, str, int]  # community, platform, platform user id, minute


@dataclass(slots=True)
class Pending:
    user: EventUser
    count: int = 0


@dataclass(slots=True)
class Accrual:
    """The buffer of one process; `flush` writes it in one unit of work."""

    res: Resources
    resolve_ttl: float
    pending: dict[Key, Pending] = field(default_factory=dict)
    awarded: dict[tuple[int, str, int], int] = field(default_factory=dict)  # (community, user, minute)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    clock: Any = time.time

    def add(self, community_id: int, event: Event) -> None:
        minute = int(self.clock() // 60)
        key = (community_id, event.platform, event.user.platform_user_id, minute)
        entry = self.pending.get(key)
        if entry is None:
            entry = self.pending[key] = Pending(event.user)
        entry.user = event.user  # the latest name
        entry.count += 1

    async def flush(self) -> int:
        """Write what is buffered; the number of users credited."""
        async with self.lock:
            if not self.pending:
                return 0
            batch, self.pending = self.pending, {}
            try:
                credited = await self._write(batch)
            except Exception:
                for key, entry in batch.items():  # back for the next flush
                    mine = self.pending.setdefault(key, Pending(entry.user))
                    mine.count += entry.count
                FLUSHED.labels("failed").inc()
                raise
            FLUSHED.labels("ok").inc()
            return credited

    async def _write(self, batch: dict[Key, Pending]) -> int:
        keys = list(batch)
        people = await users.resolve_many(self.res, [(k[1], batch[k].user) for k in keys], self.resolve_ttl)
        community_weights: dict[int, weights.Weights] = {}
        for community_id in {k[0] for k in keys}:
            community_weights[community_id] = await weights.load(self.res.db, community_id)
        grants: dict[tuple[int, str], list[Any]] = {}  # (community, user) -> [points, name]
        awarded = dict(self.awarded)
        for key, person in zip(keys, people, strict=True):
            community_id, _, _, minute = key
            w = community_weights[community_id]
            slot = (community_id, person.user_id, minute)
            room = max(0, w.chat_per_minute_cap - awarded.get(slot, 0))
            points = min(room, batch[key].count * w.chat_message)
            if points <= 0:
                continue
            awarded[slot] = awarded.get(slot, 0) + points
            grant = grants.setdefault((community_id, person.user_id), [0, person.name])
            grant[0] += points
            grant[1] = person.name
        if grants:
            await service.run_unit(self.res.db, _credit_all, grants)
        now_minute = int(self.clock() // 60)
        self.awarded = {slot: n for slot, n in awarded.items() if slot[2] >= now_minute - 1}
        return len(grants)


def _credit_all(db: Any, grants: dict[tuple[int, str], list[Any]]) -> None:
    for (community_id, user_id), (points, name) in sorted(grants.items()):
        service.credit(db, community_id, user_id, int(points), "chat", "chat", str(name))
