"""The reputation tables: the append-only `reputation_ledger`, the balance it derives, and more.

Balances are keyed by (community, internal user id) — the identity service's user, so
linked accounts share one balance. Every ledger insert and its balance change happen
in one unit of work; a debit is a conditional update (`balance >= n`).
"""

from __future__ import annotations

from typing import Any

from pydal import Field

from flask_core import ensure_index

USER_ID = 32
NAME = 100


def define_tables(db: Any) -> None:
    db.define_table(
        "reputation_ledger",
        Field("community_id", "bigint", notnull=True),
        Field("user_id", "string", length=USER_ID, notnull=True),
        Field("amount", "bigint", notnull=True),  # + credit, - debit
        Field("reason", "string", length=32, notnull=True),
        Field("ref", "string", length=200),  # charge id, invocation id, counterpart user …
        Field("balance_after", "bigint", notnull=True),
        Field("created_at", "datetime", notnull=True),
    )
    ensure_index(db, "reputation_ledger", "reputation_ledger_owner", ("community_id", "user_id"))
    db.define_table(
        "reputation_balances",
        Field("community_id", "bigint", notnull=True),
        Field("user_id", "string", length=USER_ID, notnull=True),
        Field("balance", "bigint", notnull=True, default=0),
        Field("name", "string", length=NAME),  # the latest name seen, for !top and the portal
        Field("name_folded", "string", length=NAME),
        Field("updated_at", "datetime"),
    )
    ensure_index(
        db, "reputation_balances", "reputation_balances_owner", ("community_id", "user_id"), unique=True
    )
    ensure_index(db, "reputation_balances", "reputation_balances_rank", ("community_id", "balance"))
    db.define_table(
        "reputation_weights",
        Field("community_id", "bigint", notnull=True, unique=True),
        Field("weights", "json", notnull=True),
        Field("updated_at", "datetime"),
    )
    db.define_table(
        "reputation_charges",
        Field("community_id", "bigint", notnull=True),
        Field("charge_id", "string", length=200, notnull=True),
        Field("user_id", "string", length=USER_ID, notnull=True),
        Field("amount", "bigint", notnull=True),
        Field("reason", "string", length=200),
        Field("state", "string", length=16, notnull=True),  # charged | refused | refunded
        Field("balance", "bigint", notnull=True),  # the balance the first answer gave
        Field("refund_balance", "bigint"),
        Field("created_at", "datetime", notnull=True),
    )
    ensure_index(
        db, "reputation_charges", "reputation_charges_id", ("community_id", "charge_id"), unique=True
    )
    db.define_table(
        "reputation_merges",
        Field("from_user_id", "string", length=USER_ID, notnull=True, unique=True),
        Field("into_user_id", "string", length=USER_ID, notnull=True),
        Field("created_at", "datetime", notnull=True),
    )
    db.define_table(
        "reputation_giveaways",
        Field("community_id", "bigint", notnull=True),
        Field("prize", "string", length=200, notnull=True),
        Field("state", "string", length=8, notnull=True),  # open | drawn
        Field("winner_user_id", "string", length=USER_ID),
        Field("winner_name", "string", length=NAME),
        Field("created_at", "datetime", notnull=True),
    )
    ensure_index(db, "reputation_giveaways", "reputation_giveaways_community", ("community_id", "state"))
    db.define_table(
        "reputation_giveaway_entries",
        Field("giveaway_id", "bigint", notnull=True),
        Field("user_id", "string", length=USER_ID, notnull=True),
        Field("name", "string", length=NAME),
    )
    ensure_index(
        db,
        "reputation_giveaway_entries",
        "reputation_entries_unique",
        ("giveaway_id", "user_id"),
        unique=True,
    )
