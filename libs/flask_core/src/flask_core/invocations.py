"""Invocation records: a module answers a repeated invocation without running it again (§11, §12).

The router derives `invocation_id` from the event id, so a reprocessed event (a crash, a
lease that ran out, a retried module call) reaches the module with the same id. Two
records make the repeat harmless:

- **the short-lived answer** (`Records.cached` / `remember`, in the cache: Redis or in
  process, 24 h) for every command: a repeat is answered from it at once;
- **the write record** (`module_invocations`, unique per module and invocation), written
  *in the same unit of work* as the handler's first database write. While a handler runs,
  `flask_core.module` sets `UNIT_HOOK`; `AsyncDAL.run` wraps the unit so it first takes
  the record. A repeat finds it taken: its unit rolls back (nothing written twice) and it
  answers from the record (the stored answer, or an empty answer in the instant between
  the write's commit and the answer being stored). A crash can never leave the write
  without the record.
"""

from __future__ import annotations

import contextvars
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydal import Field

T = TypeVar("T")
Responses = list[dict[str, Any]]
RECORD_TTL = 86400.0


def define_tables(db: Any) -> None:
    """`module_invocations`: one row per (module, invocation) that wrote to the database."""
    from .database import ensure_index

    db.define_table(
        "module_invocations",
        Field("invocation_key", "string", length=160, notnull=True),
        Field("responses", "text"),  # JSON; empty until the handler's answer is known
        Field("created_at", "double", notnull=True),
    )
    ensure_index(db, "module_invocations", "module_invocations_key", ("invocation_key",), unique=True)
    ensure_index(db, "module_invocations", "module_invocations_age", ("created_at",))


class AlreadyRecorded(Exception):
    """Raised inside a unit of work: this invocation already wrote; roll back, answer the record."""

    def __init__(self, responses: Responses | None) -> None:
        super().__init__("invocation already recorded")
        self.responses = responses


class WriteRecord:
    """The write record of one running invocation; `AsyncDAL.run` calls `wrap` per unit."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.taken = False  # set once a unit that took the record has committed

    def wrap(self, fn: Callable[..., T]) -> Callable[..., T]:
        if self.taken:
            return fn

        def unit(db: Any, *args: Any) -> T:
            _take(db, self.key)
            result = fn(db, *args)
            self.taken = True  # committed right after this returns (or rolled back with it)
            return result

        return unit


def _take(db: Any, key: str) -> None:
    t = db.module_invocations
    row = db(t.invocation_key == key).select(t.responses, limitby=(0, 1)).first()
    if row is not None:
        raise AlreadyRecorded(json.loads(row.responses) if row.responses is not None else None)
    t.insert(invocation_key=key, responses=None, created_at=time.time())  # a racing copy fails here


def store_answer(db: Any, key: str, responses: Responses) -> None:
    """After the handler: keep its answer in the write record (one small update)."""
    db(db.module_invocations.invocation_key == key).update(responses=json.dumps(responses))


def read_record(db: Any, key: str) -> tuple[bool, Responses | None]:
    """(the record exists, its answer or None while it is not stored yet)."""
    row = db(db.module_invocations.invocation_key == key).select(limitby=(0, 1)).first()
    if row is None:
        return False, None
    return True, json.loads(row.responses) if row.responses is not None else None


def sweep(db: Any, older_than: float = RECORD_TTL) -> int:
    """Forget write records older than `older_than` seconds."""
    return int(db(db.module_invocations.created_at < time.time() - older_than).delete())


#: Set by `flask_core.module` while a handler runs; read by `AsyncDAL.run` (async side).
UNIT_HOOK: contextvars.ContextVar[WriteRecord | None] = contextvars.ContextVar(
    "waddlebot_unit_hook", default=None
)
