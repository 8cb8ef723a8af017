"""Reputation domain logic: the ledger, balances, transfers, charges, merges. No Quart here.

Every change is one unit of work that appends to `reputation_ledger` and updates the
balance row with it. A debit is `UPDATE … SET balance = balance - n WHERE balance >= n`:
the database decides, so no balance goes below zero whatever the concurrency (no
read-then-write). A transfer does both updates in user-id order and rolls back as a
whole when the debit finds too little.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import AsyncDAL, get_logger, is_integrity_error
from flask_core.database import serialize_on

log = get_logger(__name__)
ATTEMPTS = 3


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _stamp() -> str:
    """Now as the text both backends store datetimes as (no sqlite3 datetime adapter)."""
    return _now().strftime("%Y-%m-%d %H:%M:%S")


def fold(name: str) -> str:
    return name.casefold()


class Insufficient(Exception):
    """Raised inside a unit of work: the debit found less than asked (the unit rolls back)."""

    def __init__(self, balance: int, cost: int) -> None:
        super().__init__("insufficient points")
        self.balance = balance
        self.cost = cost


_ENSURE = (
    "INSERT INTO reputation_balances (community_id, user_id, balance, name, name_folded, updated_at) "
    "VALUES ({0}, {0}, 0, {0}, {0}, {0}) ON CONFLICT (community_id, user_id) DO NOTHING"
)
_ENSURE_SQLITE = _ENSURE.replace("{0}", "?")
_ENSURE_POSTGRES = _ENSURE.replace("{0}", "%s")


def _ensure(db: Any, community_id: int, user_id: str, name: str | None) -> None:
    """The balance row exists (created at 0 if not; a concurrent insert is fine)."""
    sql = _ENSURE_SQLITE if db._dbname == "sqlite" else _ENSURE_POSTGRES
    db.executesql(sql, placeholders=[community_id, user_id, name, fold(name) if name else None, _stamp()])
    if name:
        b = db.reputation_balances
        owner = (b.community_id == community_id) & (b.user_id == user_id) & (b.name != name)
        db(owner).update(name=name, name_folded=fold(name))


def balance_of(db: Any, community_id: int, user_id: str) -> int:
    b = db.reputation_balances
    row = (
        db((b.community_id == community_id) & (b.user_id == user_id))
        .select(b.balance, limitby=(0, 1))
        .first()
    )
    return int(row.balance) if row is not None else 0


def credit(
    db: Any, community_id: int, user_id: str, amount: int, reason: str, ref: str, name: str | None
) -> int:
    """Add `amount` (> 0) and append it to the ledger; the new balance."""
    _ensure(db, community_id, user_id, name)
    b = db.reputation_balances
    owner = (b.community_id == community_id) & (b.user_id == user_id)
    db(owner).update(balance=b.balance + amount, updated_at=_now())
    after = balance_of(db, community_id, user_id)
    _append(db, community_id, user_id, amount, reason, ref, after)
    return after


def debit(db: Any, community_id: int, user_id: str, amount: int, reason: str, ref: str) -> int:
    """Take `amount` (> 0) if the balance has it (conditional update), else Insufficient."""
    b = db.reputation_balances
    owner = (b.community_id == community_id) & (b.user_id == user_id)
    if not db(owner & (b.balance >= amount)).update(balance=b.balance - amount, updated_at=_now()):
        raise Insufficient(balance_of(db, community_id, user_id), amount)
    after = balance_of(db, community_id, user_id)
    _append(db, community_id, user_id, -amount, reason, ref, after)
    return after


def _append(db: Any, community_id: int, user_id: str, amount: int, reason: str, ref: str, after: int) -> None:
    db.reputation_ledger.insert(
        community_id=community_id, user_id=user_id, amount=amount, reason=reason[:32], ref=ref[:200],
        balance_after=after, created_at=_now(),
    )  # fmt: skip


async def run_unit[T](db: AsyncDAL, fn: Any, *args: Any) -> T:
    """`db.run`, retried when a concurrent first insert of a balance row raced this one."""
    for attempt in range(ATTEMPTS):
        try:
            result: T = await db.run(fn, *args)
            return result
        except Exception as exc:
            if not is_integrity_error(exc) or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# --- the operations behind the commands and the API ---------------------------------


async def get_balance(db: AsyncDAL, community_id: int, user_id: str) -> int:
    value: int = await db.read(balance_of, community_id, user_id)
    return value


async def add_points(
    db: AsyncDAL, community_id: int, user_id: str, amount: int, reason: str, ref: str, name: str | None
) -> int:
    after: int = await run_unit(db, credit, community_id, user_id, amount, reason, ref, name)
    return after


async def remove_points(
    db: AsyncDAL, community_id: int, user_id: str, amount: int, reason: str, ref: str
) -> int:
    after: int = await run_unit(db, debit, community_id, user_id, amount, reason, ref)
    return after


@dataclass(frozen=True, slots=True)
class Transfer:
    sender_balance: int
    receiver_balance: int


def _transfer(
    db: Any, community_id: int, sender: str, receiver: str, amount: int, ref: str, names: tuple[str, str]
) -> Transfer:
    _ensure(db, community_id, receiver, names[1])
    balances: dict[str, int] = {}
    for user_id in sorted((sender, receiver)):  # one lock order: two opposite gifts never deadlock
        if user_id == sender:
            balances[sender] = debit(db, community_id, sender, amount, "give", f"to:{receiver}:{ref}")
        else:
            balances[receiver] = credit(
                db, community_id, receiver, amount, "gift", f"from:{sender}:{ref}", names[1]
            )
    return Transfer(balances[sender], balances[receiver])


async def transfer(
    db: AsyncDAL, community_id: int, sender: str, receiver: str, amount: int, ref: str, names: tuple[str, str]
) -> Transfer:
    """Move `amount` from sender to receiver at once, or nothing (Insufficient)."""
    result: Transfer = await run_unit(db, _transfer, community_id, sender, receiver, amount, ref, names)
    return result


@dataclass(frozen=True, slots=True)
class Ranked:
    user_id: str
    name: str
    balance: int
    rank: int


def _top(db: Any, community_id: int, limit: int) -> list[Ranked]:
    b = db.reputation_balances
    rows = db((b.community_id == community_id) & (b.balance > 0)).select(
        b.user_id, b.name, b.balance, orderby=~b.balance | b.id, limitby=(0, limit)
    )
    return [Ranked(r.user_id, r.name or "?", int(r.balance), i + 1) for i, r in enumerate(rows)]


async def top(db: AsyncDAL, community_id: int, limit: int) -> list[Ranked]:
    ranked: list[Ranked] = await db.read(_top, community_id, limit)
    return ranked


def _rank(db: Any, community_id: int, user_id: str) -> tuple[int, int, int]:
    """(balance, rank, ranked users); rank 0 when the user has no points."""
    b = db.reputation_balances
    mine = balance_of(db, community_id, user_id)
    total = db((b.community_id == community_id) & (b.balance > 0)).count()
    if mine <= 0:
        return mine, 0, total
    above = db((b.community_id == community_id) & (b.balance > mine)).count()
    return mine, above + 1, total


async def rank(db: AsyncDAL, community_id: int, user_id: str) -> tuple[int, int, int]:
    found: tuple[int, int, int] = await db.read(_rank, community_id, user_id)
    return found


# --- charges (the router's points costs) -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Charge:
    charge_id: str
    state: str  # charged | refused | refunded
    balance: int
    amount: int
    refund_balance: int | None = None


def _charge_of(row: Any) -> Charge:
    refund = int(row.refund_balance) if row.refund_balance is not None else None
    return Charge(row.charge_id, row.state, int(row.balance), int(row.amount), refund)


def _find_charge(db: Any, community_id: int, charge_id: str) -> Any:
    c = db.reputation_charges
    return db((c.community_id == community_id) & (c.charge_id == charge_id)).select(limitby=(0, 1)).first()


def _charge(db: Any, community_id: int, charge_id: str, user_id: str, amount: int, reason: str) -> Charge:
    serialize_on(db, "reputation-charge", community_id, charge_id)
    found = _find_charge(db, community_id, charge_id)
    if found is not None:
        return _charge_of(found)
    try:  # no balance row yet is a balance of 0: refused, and nothing is created
        state, balance = "charged", debit(db, community_id, user_id, amount, "charge", charge_id)
    except Insufficient as short:
        state, balance = "refused", short.balance
    db.reputation_charges.insert(
        community_id=community_id, charge_id=charge_id, user_id=user_id, amount=amount, reason=reason,
        state=state, balance=balance, created_at=_now(),
    )  # fmt: skip
    return Charge(charge_id, state, balance, amount)


async def charge(
    db: AsyncDAL, community_id: int, charge_id: str, user_id: str, amount: int, reason: str
) -> Charge:
    """Debit once per charge id; a repeat answers the first result (refused included)."""
    result: Charge = await run_unit(db, _charge, community_id, charge_id, user_id, amount, reason)
    return result


def _refund(db: Any, community_id: int, charge_id: str) -> Charge | None:
    serialize_on(db, "reputation-charge", community_id, charge_id)
    row = _find_charge(db, community_id, charge_id)
    if row is None:
        return None
    if row.state == "charged":
        after = credit(db, community_id, row.user_id, int(row.amount), "refund", charge_id, None)
        row.update_record(state="refunded", refund_balance=after)
        row = _find_charge(db, community_id, charge_id)
    elif row.state == "refused":  # nothing was taken: nothing to give back
        row.update_record(state="refunded", refund_balance=int(row.balance))
        row = _find_charge(db, community_id, charge_id)
    return _charge_of(row)


async def refund(db: AsyncDAL, community_id: int, charge_id: str) -> Charge | None:
    """Give a charge back once; None for a charge id this community never charged."""
    result: Charge | None = await run_unit(db, _refund, community_id, charge_id)
    return result


# --- merges (identity linked two users) -------------------------------------------------


def _merge(db: Any, from_user: str, into_user: str) -> bool:
    serialize_on(db, "reputation-merge", from_user)
    if db(db.reputation_merges.from_user_id == from_user).count():
        return False
    b = db.reputation_balances
    for row in db(b.user_id == from_user).select(orderby=b.community_id):
        _ensure(db, int(row.community_id), into_user, None)
        into = (b.community_id == row.community_id) & (b.user_id == into_user)
        db(into).update(balance=b.balance + int(row.balance), updated_at=_now())
        db(b.id == row.id).delete()
    db(db.reputation_ledger.user_id == from_user).update(user_id=into_user)
    db(db.reputation_charges.user_id == from_user).update(user_id=into_user)
    e = db.reputation_giveaway_entries
    both = db(e.user_id == into_user)._select(e.giveaway_id)
    db((e.user_id == from_user) & e.giveaway_id.belongs(both)).delete()
    db(e.user_id == from_user).update(user_id=into_user)
    db.reputation_merges.insert(from_user_id=from_user, into_user_id=into_user, created_at=_now())
    return True


async def merge(db: AsyncDAL, from_user: str, into_user: str) -> bool:
    """Move every balance and ledger entry of `from_user` to `into_user`, once (one unit)."""
    moved: bool = await run_unit(db, _merge, from_user, into_user)
    if moved:
        log.info("reputation.users_merged", from_user_id=from_user, into_user_id=into_user)
    return moved


# --- giveaways --------------------------------------------------------------------------


def _open_giveaway(db: Any, community_id: int) -> Any:
    g = db.reputation_giveaways
    return db((g.community_id == community_id) & (g.state == "open")).select(limitby=(0, 1)).first()


def start_giveaway_unit(db: Any, community_id: int, prize: str) -> tuple[bool, str]:
    serialize_on(db, "reputation-giveaway", community_id)
    open_ = _open_giveaway(db, community_id)
    if open_ is not None:
        return False, str(open_.prize)
    db.reputation_giveaways.insert(community_id=community_id, prize=prize, state="open", created_at=_now())
    return True, prize


def join_unit(db: Any, community_id: int, user_id: str, name: str, cap: int) -> str:
    """'joined', 'again', 'none' (no giveaway open) or 'full'."""
    open_ = _open_giveaway(db, community_id)
    if open_ is None:
        return "none"
    e = db.reputation_giveaway_entries
    if db((e.giveaway_id == open_.id) & (e.user_id == user_id)).count():
        return "again"
    if db(e.giveaway_id == open_.id).count() >= cap:
        return "full"
    e.insert(giveaway_id=open_.id, user_id=user_id, name=name)
    return "joined"


@dataclass(frozen=True, slots=True)
class Drawn:
    prize: str
    winner_name: str | None
    entries: int


def draw_unit(db: Any, community_id: int, weighted: bool) -> Drawn | None:
    serialize_on(db, "reputation-giveaway", community_id)
    open_ = _open_giveaway(db, community_id)
    if open_ is None:
        return None
    e = db.reputation_giveaway_entries
    entries = list(db(e.giveaway_id == open_.id).select(e.user_id, e.name, orderby=e.id))
    winner = None
    if entries:
        if weighted:
            weights = [max(1, balance_of(db, community_id, r.user_id)) for r in entries]
            winner = random.SystemRandom().choices(entries, weights=weights, k=1)[0]
        else:
            winner = random.SystemRandom().choice(entries)
    open_.update_record(
        state="drawn",
        winner_user_id=winner.user_id if winner else None,
        winner_name=winner.name if winner else None,
    )
    return Drawn(str(open_.prize), str(winner.name) if winner else None, len(entries))


# --- portal lists -----------------------------------------------------------------------


def leaderboard_page(
    db: Any, community_id: int, limit: int, offset: int, q: str, sort: str
) -> tuple[list[dict[str, Any]], bool]:
    b = db.reputation_balances
    query = b.community_id == community_id
    if q:
        query &= b.name_folded.contains(fold(q))
    order = {"balance": ~b.balance | b.id, "-balance": b.balance | b.id, "name": b.name_folded | b.id}[sort]
    rows = db(query).select(b.user_id, b.name, b.balance, orderby=order, limitby=(offset, offset + limit + 1))
    items = [
        {"user_id": r.user_id, "name": r.name, "balance": int(r.balance), "position": offset + i + 1}
        for i, r in enumerate(rows[:limit])
    ]
    return items, len(rows) > limit


def ledger_page(
    db: Any, community_id: int, limit: int, after_id: int | None, q: str, sort: str
) -> tuple[list[dict[str, Any]], bool]:
    t = db.reputation_ledger
    query = t.community_id == community_id
    if q:
        query &= (t.user_id == q) | (t.reason == q)
    newest = sort == "newest"
    if after_id is not None:
        query &= (t.id < after_id) if newest else (t.id > after_id)
    rows = db(query).select(orderby=~t.id if newest else t.id, limitby=(0, limit + 1))
    items = [
        {
            "id": int(r.id),
            "user_id": r.user_id,
            "amount": int(r.amount),
            "reason": r.reason,
            "ref": r.ref,
            "balance_after": int(r.balance_after),
            "created_at": r.created_at.replace(tzinfo=UTC),
        }
        for r in rows[:limit]
    ]
    return items, len(rows) > limit
