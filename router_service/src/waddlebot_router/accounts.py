"""Who is asking (identity) and what a command costs (reputation), for the pipeline.

- Identity: `POST /identity/api/v1/resolve:batch` gives the internal users of up to 100
  platform users (one call per event batch); each answer `{user_id, linked}` is cached
  under `identity:resolve:{platform}:{id}` (the identity service invalidates it on link
  and unlink). Identity not deployed, down or
  answering nonsense: `None`, and the command runs all the same.
- Points: a command's cost is charged before it runs (§12's order: … → cost → run),
  `charge_id` = the invocation id, so a redelivered event is charged once; a module
  that fails (error, unavailable, open breaker) gets the charge refunded. Reputation not
  deployed or unreachable: the command is refused, never run for free.
"""

from __future__ import annotations

import asyncio
import time
from enum import Enum
from typing import TYPE_CHECKING, Any

from flask_core.errors import DependencyUnavailable
from flask_core.events import Event, Identity
from flask_core.logging import get_logger
from waddlebot_marketplace.client import deployed

if TYPE_CHECKING:
    from .service import Router

log = get_logger(__name__)
CALLER = "router"
IDENTITY = "identity"
REPUTATION = "reputation"
IDENTITY_TTL = 300.0


def identity_key(platform: str, platform_user_id: str) -> str:
    """Shared with the identity service, which invalidates it on link and unlink."""
    return f"identity:resolve:{platform}:{platform_user_id}"


class _NoAnswer(Exception):
    """Identity did not answer usefully: nothing is cached."""


class _Miss(Exception):
    """Not in the cache: asked for in the one batched call (nothing is stored)."""


#: Identities asked for in one call (identity's `resolve:batch` takes at most 100).
RESOLVE_CHUNK = 100
#: How long a batch waits for identity's answer about users seen for the first time.
BATCH_WAIT = 0.5
#: How long a caller that needs the answer waits for it (the identity call's budget).
CALL_BUDGET = 2.0
#: The budget of a look-up nobody waits for (a batch's first sightings).
BACKGROUND_BUDGET = 15.0
#: At most one `router.identity_unavailable` warning per this many seconds (with a count).
WARN_EVERY = 10.0


async def identify(router: Router, event: Event) -> Identity | None:
    """The asker's internal user, or None (identity is never a reason to fail a command)."""
    return (await identify_many(router, [event]))[0]


class _Resolving:
    """Identity look-ups still running for this process: each user is asked for once."""

    def __init__(self) -> None:
        self.by_key: dict[str, asyncio.Task[dict[str, dict[str, Any]]]] = {}
        self.tasks: set[asyncio.Task[dict[str, dict[str, Any]]]] = set()


async def identify_many(
    router: Router, events: list[Event], wait: float | None = None
) -> list[Identity | None]:
    """The internal user of each event's asker, in order (None where identity cannot say).

    Cached answers come from the shared cache (its local layer first); the rest are asked
    in one `POST /identity/api/v1/resolve:batch` per 100 distinct users, so a batch of
    chat events costs one identity call, not one per event, and an identity that is down
    costs one failed call and one (rate-limited) warning per batch. A user another caller
    is already asking for is not asked for again: its answer is awaited. With `wait`, the
    caller waits at most that long (a batch must not wait on first sightings, which write
    a user each): a call still running then fills the cache for the next event. Without
    it, the caller waits up to CALL_BUDGET (a single command, or one with a points cost).
    """
    res = router.res
    if not events or not deployed(res, IDENTITY):
        return [None] * len(events)
    keys = [identity_key(e.platform, e.user.platform_user_id) for e in events]
    found: dict[str, dict[str, Any]] = {}
    asking: dict[str, Event] = {}
    running: set[asyncio.Task[dict[str, dict[str, Any]]]] = set()
    resolving: _Resolving = res.extras.setdefault("router.identity_resolving", _Resolving())

    async def miss() -> dict[str, Any]:
        raise _Miss

    for key, event in zip(keys, events, strict=True):
        if key in found or key in asking:
            continue
        if (other := resolving.by_key.get(key)) is not None:
            running.add(other)
            continue
        try:
            found[key] = await res.cache.get_or_set(key, miss, ttl=IDENTITY_TTL, local=True, shared=True)
        except _Miss:
            asking[key] = event
    if asking:
        # In the background (a batch) the call may take its time: users seen for the first
        # time are each written, and nobody waits on it.
        task = asyncio.create_task(
            _resolve(router, asking, CALL_BUDGET if wait is None else BACKGROUND_BUDGET)
        )
        resolving.by_key.update(dict.fromkeys(asking, task))
        resolving.tasks.add(task)

        def forget(done: asyncio.Task[dict[str, dict[str, Any]]]) -> None:
            resolving.tasks.discard(done)
            for key in asking:
                if resolving.by_key.get(key) is done:
                    del resolving.by_key[key]

        task.add_done_callback(forget)
        running.add(task)
    if running:
        finished, _ = await asyncio.wait(running, timeout=CALL_BUDGET if wait is None else wait)
        wanted = set(keys)
        for done in finished:
            if not done.cancelled() and done.exception() is None:
                found.update({k: v for k, v in done.result().items() if k in wanted})
    return [Identity.model_validate(found[k]) if k in found else None for k in keys]


async def cancel_background(router: Router) -> None:
    """Cancel the look-ups still running (at shutdown: their database is going away)."""
    resolving: _Resolving | None = router.res.extras.get("router.identity_resolving")
    tasks = list(resolving.tasks) if resolving is not None else []
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _resolve(router: Router, asking: dict[str, Event], budget: float) -> dict[str, dict[str, Any]]:
    """Ask identity for these users (chunks of 100) and cache each answer."""
    res = router.res
    if res.http.breaker(IDENTITY).retry_in() > 0:  # its circuit is open: no call, one warning
        _warn_unavailable(router, len(asking))
        return {}
    answers: dict[str, dict[str, Any]] = {}
    items = list(asking.items())
    for start in range(0, len(items), RESOLVE_CHUNK):
        chunk = items[start : start + RESOLVE_CHUNK]
        body = {
            "identities": [
                {
                    "platform": e.platform,
                    "platform_user_id": e.user.platform_user_id,
                    "username": e.user.username,
                    "display_name": e.user.display_name or None,
                }
                for _, e in chunk
            ]
        }
        try:
            users = await _resolve_call(router, body, len(chunk), budget)
        except _NoAnswer:
            _warn_unavailable(router, len(chunk))
            continue
        fresh = {key: user for (key, _), user in zip(chunk, users, strict=True)}
        answers.update(fresh)
        await asyncio.gather(*(res.cache.set(k, u, ttl=IDENTITY_TTL) for k, u in fresh.items()))
    return answers


async def _resolve_call(
    router: Router, body: dict[str, Any], count: int, budget: float
) -> list[dict[str, Any]]:
    try:
        response = await router.res.http.for_service(CALLER).call(
            IDENTITY, "POST", "/identity/api/v1/resolve:batch", json=body, timeout=budget, retries=1
        )
    except DependencyUnavailable as exc:
        raise _NoAnswer from exc
    if response.status_code != 200:
        raise _NoAnswer
    try:
        users = response.json()["users"]
        answer = [{"user_id": str(u["user_id"]), "linked": bool(u.get("linked", False))} for u in users]
    except (ValueError, KeyError, TypeError):
        raise _NoAnswer from None
    if len(answer) != count:
        raise _NoAnswer
    return answer


def _warn_unavailable(router: Router, count: int) -> None:
    """One warning per WARN_EVERY seconds, with how many lookups went unanswered meanwhile."""
    state = router.res.extras.setdefault("router.identity_warned", {"at": -WARN_EVERY, "missed": 0})
    state["missed"] += count
    now = time.monotonic()
    if now - state["at"] >= WARN_EVERY:
        log.warning("router.identity_unavailable", unanswered=state["missed"])
        state["at"], state["missed"] = now, 0


class Charge(Enum):
    PAID = "paid"
    SHORT = "short"  # not enough points
    UNAVAILABLE = "unavailable"  # reputation not deployed, down, or no internal user


async def charge(
    router: Router, community_id: int, user_id: str | None, charge_id: str, amount: int, reason: str
) -> tuple[Charge, dict[str, Any]]:
    """Debit `amount` once per `charge_id`: (outcome, details such as balance and cost)."""
    res = router.res
    if user_id is None or not deployed(res, REPUTATION):
        return Charge.UNAVAILABLE, {}
    body = {"charge_id": charge_id, "user_id": user_id, "amount": amount, "reason": reason[:200]}
    try:
        response = await res.http.for_service(CALLER).call(
            REPUTATION, "POST", f"/reputation/api/v1/communities/{community_id}/charges",
            json=body, timeout=3.0, retries=1,
        )  # fmt: skip
    except DependencyUnavailable:
        return Charge.UNAVAILABLE, {}
    if response.status_code == 200:
        return Charge.PAID, _json(response)
    error = _json(response).get("error")
    error = error if isinstance(error, dict) else {}
    if response.status_code == 409 and error.get("code") == "insufficient_points":
        details = error.get("details")
        return Charge.SHORT, details if isinstance(details, dict) else {}
    log.warning("router.charge_failed", status=response.status_code)
    return Charge.UNAVAILABLE, {}


async def refund(router: Router, community_id: int, charge_id: str) -> bool:
    """Give a charge back (idempotent at reputation); False when it could not be done now."""
    try:
        response = await router.res.http.for_service(CALLER).call(
            REPUTATION, "POST", f"/reputation/api/v1/communities/{community_id}/charges/{charge_id}:refund",
            json={}, timeout=3.0, retries=2,
        )  # fmt: skip
    except DependencyUnavailable:
        log.error("router.refund_failed", charge_id=charge_id, reason="unavailable")
        return False
    if response.status_code != 200:
        log.error("router.refund_failed", charge_id=charge_id, status=response.status_code)
        return False
    return True


def _json(response: Any) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
