"""The outbox's shape: entries, policy, settings, the table definitions and the ABC.

An outbox is a durable queue of JSON payloads for one `name` (a platform's inbound
events, `twitch`, or its outbound replies, `twitch.out`). `put(payload, key=...)` stores
an entry and, when a key is given, dedupes on it *in the same atomic step*, so a crash
leaves either "stored and the key taken" or neither: a webhook is acknowledged only
after `put` returned, and a platform's redelivery of a stored event is a duplicate.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Final

from pydal import Field

from ..database import ensure_index
from ..errors import DependencyUnavailable
from ..logging import get_logger
from ..metrics import counter
from ..resources import Resources
from ..settings import CoreSettings

log = get_logger(__name__)
ENTRIES = counter(
    "waddlebot_outbox_entries_total",
    "Outbox entries by outcome (stored, duplicate, delivered, retried, dead_lettered, replayed)",
    ("outcome",),
)


@dataclass(slots=True, frozen=True)
class OutboxPolicy:
    """How the worker polls, waits and gives up; each field has its OUTBOX_* setting."""

    backoff_base: float = 1.0
    backoff_cap: float = 300.0
    max_age: float = 12 * 3600.0
    poll_interval: float = 1.0
    batch_size: int = 16
    lease: float = 60.0
    timeout: float = 5.0

    @classmethod
    def from_settings(cls, settings: CoreSettings) -> OutboxPolicy:
        """Each field from its OUTBOX_* setting (the defaults without OutboxSettings)."""
        if not isinstance(settings, OutboxSettings):
            return cls()
        return cls(**{f.name: getattr(settings, f"outbox_{f.name}") for f in fields(cls)})

    def backoff(self, attempts: int) -> float:
        """Capped exponential delay with jitter (half fixed, half random)."""
        delay: float = min(self.backoff_cap, self.backoff_base * 2.0 ** max(0, attempts - 1))
        return delay / 2 + random.uniform(0, delay / 2)


_DEFAULTS: Final = OutboxPolicy()


class OutboxSettings(CoreSettings):
    """Outbox settings shared by every collector (scaled down in tests): OutboxPolicy's."""

    outbox_backoff_base: float = _DEFAULTS.backoff_base
    outbox_backoff_cap: float = _DEFAULTS.backoff_cap
    outbox_max_age: float = _DEFAULTS.max_age
    outbox_poll_interval: float = _DEFAULTS.poll_interval
    outbox_batch_size: int = _DEFAULTS.batch_size
    outbox_lease: float = _DEFAULTS.lease
    outbox_timeout: float = _DEFAULTS.timeout
    #: Outside dev a Redis-stream outbox needs `appendonly yes`, unless this says otherwise.
    outbox_allow_volatile_redis: bool = False


@dataclass(slots=True)
class OutboxEntry:
    id: str
    payload: dict[str, Any]
    attempts: int
    created_at: float  # epoch seconds
    last_error: str | None = None


def define_tables(db: Any) -> None:
    """The `outbox` table and its dedupe keys (used when there is no Redis)."""
    db.define_table(
        "outbox",
        Field("platform", "string", length=16, notnull=True),
        Field("event_id", "string", length=200),
        Field("status", "string", length=16, notnull=True, default="pending"),
        Field("attempts", "integer", default=0),
        Field("next_attempt_at", "double", notnull=True),  # epoch seconds; also the lease
        Field("payload", "json"),
        Field("last_error", "text"),
        Field("created_at", "datetime"),
    )
    ensure_index(db, "outbox", "outbox_due", ("platform", "status", "next_attempt_at"))
    db.define_table(
        "outbox_keys",
        Field("dedupe_key", "string", length=255, notnull=True),
        Field("expires_at", "double", notnull=True),
    )
    ensure_index(db, "outbox_keys", "outbox_keys_key", ("dedupe_key",), unique=True)
    ensure_index(db, "outbox_keys", "outbox_keys_expiry", ("expires_at",))


class Outbox(ABC):
    """One named outbox; `open_outbox` picks the Redis stream or the table."""

    def __init__(self, res: Resources, platform: str, policy: OutboxPolicy) -> None:
        self.res = res
        self.platform = platform
        self.policy = policy

    async def put(
        self, payload: Mapping[str, Any], *, key: str | None = None, key_ttl: float = 0.0
    ) -> str | None:
        """Store one entry durably; the entry id, or None when `key` was already taken.

        With `key`, the dedupe key (kept `key_ttl` seconds) and the entry are written in one
        atomic step. DependencyUnavailable (→ 503, the platform retries) when storing fails.
        """
        try:
            entry_id = await self._put(dict(payload), f"{self.platform}:{key}" if key else None, key_ttl)
        except DependencyUnavailable:
            raise
        except Exception as exc:
            log.exception("outbox.store_failed", platform=self.platform, event_id=payload.get("event_id"))
            raise DependencyUnavailable("outbox unavailable", details={"platform": self.platform}) from exc
        ENTRIES.labels(self.platform, "stored" if entry_id is not None else "duplicate").inc()
        return entry_id

    @abstractmethod
    async def _put(self, payload: dict[str, Any], key: str | None, key_ttl: float) -> str | None: ...

    @abstractmethod
    async def claim(self, limit: int, wait: float) -> list[OutboxEntry]:
        """Up to `limit` due entries, now held by this worker; waits up to `wait` s for work."""

    @abstractmethod
    async def extend(self, entries: Sequence[OutboxEntry]) -> None:
        """Keep holding `entries` for another lease (a worker still busy with them)."""

    @abstractmethod
    async def release(self, entries: Sequence[OutboxEntry]) -> None:
        """Hand held entries back untouched (a worker stopping): the next claim takes them
        first, in their original order."""

    @abstractmethod
    async def ack(self, entry: OutboxEntry) -> None: ...

    @abstractmethod
    async def retry(self, entry: OutboxEntry, error: str, delay: float) -> None:
        """Put the entry back (its payload as it is now) to be claimed again after `delay`."""

    @abstractmethod
    async def dead_letter(self, entry: OutboxEntry, error: str) -> None: ...

    @abstractmethod
    async def pending(self) -> int:
        """Entries not yet delivered (due, held or waiting for a retry)."""

    @abstractmethod
    async def dead_count(self) -> int:
        """How many dead letters there are."""

    @abstractmethod
    async def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead letters: {id, payload, attempts, last_error, created_at}."""

    @abstractmethod
    async def waiting(self, limit: int = 100) -> list[dict[str, Any]]:
        """Entries not yet delivered, oldest first, in the dead letters' shape."""

    @abstractmethod
    async def replay(self, entry_id: str | None = None) -> int:
        """Move one dead letter (or all, with None) back into the outbox; how many moved."""

    async def check_durable(self) -> tuple[bool, str]:
        """Whether a restart of the store keeps what is in it (the table always does)."""
        return True, "durable"


def open_outbox(
    res: Resources, platform: str, policy: OutboxPolicy | None = None, *, use_redis: bool | None = None
) -> Outbox:
    """The Redis stream outbox when Redis is configured (or `use_redis`), else the table."""
    policy = policy or OutboxPolicy.from_settings(res.settings)
    if use_redis is None:
        use_redis = res.redis is not None
    if use_redis:
        from .stream import StreamOutbox

        return StreamOutbox(res, platform, policy)
    from .table import TableOutbox

    return TableOutbox(res, platform, policy)


def dead_letter_row(entry: OutboxEntry) -> dict[str, Any]:
    """The shape `dead_letters()` and `waiting()` answer in."""
    return {
        "id": entry.id,
        "payload": entry.payload,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "created_at": entry.created_at,
    }
