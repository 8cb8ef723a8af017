"""The collectors' durable outboxes, inbound (events to the router) and outbound (replies).

An event is stored before its webhook is acknowledged, and a reply is stored before the
delivery endpoint answers 202; workers drain both. With Redis an outbox is the stream
`{prefix}outbox:{name}` read through the consumer group `outbox` (XADD, XREADGROUP, XACK
+ XDEL; XAUTOCLAIM takes over entries a dead worker held longer than `outbox_lease`, and a
live worker extends the lease of what it still holds). A retry waits in the sorted set
`…:delayed`; dead letters go to the capped stream `…:dead`. Without Redis it is the
`outbox` table (rows claimed with a lease). Production Redis needs AOF (`appendonly yes`);
outside dev a collector refuses to be ready without it unless OUTBOX_ALLOW_VOLATILE_REDIS.

    OutboxSettings, OutboxPolicy, OutboxEntry       (base)
    define_tables(db)                               the `outbox` and `outbox_keys` tables
    open_outbox(res, name) -> Outbox                `put(payload, key=, key_ttl=)` (atomic
                                                    dedupe), `claim`, `extend`, `ack`, `retry`,
                                                    `dead_letter`, `pending`, `waiting`,
                                                    `dead_letters`, `replay`, `check_durable`
    OutboxWorker(outbox, send=None)                 drains to the router (worker): one
                                                    `events/batch` call per claimed batch
    router_sender(res, platform, timeout, on_answer=None), Sender, Verdict
"""

from __future__ import annotations

from .base import (
    ENTRIES,
    Outbox,
    OutboxEntry,
    OutboxPolicy,
    OutboxSettings,
    dead_letter_row,
    define_tables,
    open_outbox,
)
from .worker import (
    AnswerHook,
    BatchSender,
    OutboxWorker,
    Sender,
    Verdict,
    hold,
    router_batch_sender,
    router_sender,
    settle,
)

__all__ = [
    "ENTRIES",
    "AnswerHook",
    "BatchSender",
    "Outbox",
    "OutboxEntry",
    "OutboxPolicy",
    "OutboxSettings",
    "OutboxWorker",
    "Sender",
    "Verdict",
    "dead_letter_row",
    "define_tables",
    "hold",
    "open_outbox",
    "router_batch_sender",
    "router_sender",
    "settle",
]
