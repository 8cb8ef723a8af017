"""The batch path: one pipeline for claims and limits, one call per module per batch."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

from flask_core.errors import DependencyUnavailable
from flask_core.events import Event, EventResult
from flask_core.idempotency import ClaimState
from flask_core.logging import get_logger

from . import accounts, dispatch
from .registry import ROUTER
from .service import Router, Work, record

log = get_logger(__name__)


async def handle_batch(router: Router, events: list[Event]) -> list[EventResult]:
    """Results in the order of `events`; router failures mark elements `failed`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + router.settings.router_batch_deadline
    works = [Work(router._sanitise(e)) for e in events]
    for w in works:
        if router._is_own_message(w.event):
            w.finish("ignored")
    claimed = [w for w in works if w.result is None]
    try:
        states = await router.claims.claim_many(
            [w.event.event_id for w in claimed], router.settings.router_claim_ttl
        )
    except DependencyUnavailable:
        for w in claimed:
            w.finish("failed")
        return _results(works)
    active: list[Work] = []
    ours: set[str] = set()
    for w, state in zip(claimed, states, strict=True):
        if state is ClaimState.CLAIMED:
            active.append(w)
            ours.add(w.event.event_id)
        elif state is ClaimState.IN_FLIGHT and w.event.event_id not in ours:
            w.finish("failed")  # being processed elsewhere (or its process died): retry, never drop
        else:
            w.finish("duplicate")  # finished already, or a copy of an event earlier in this batch
    try:
        async with asyncio.timeout_at(deadline):
            await _run_stages(router, active)
    except TimeoutError:
        log.warning("router.batch_deadline", unfinished=sum(1 for w in active if w.result is None))
    for w in active:
        if w.result is None:
            w.finish("failed")
    await _all(_deliver(router, w) for w in active if w.result and w.result.status != "failed")
    await _settle(router, active)
    return _results(works)


async def _deliver(router: Router, work: Work) -> None:
    """A batch element whose answer the collector did not take is `failed` (retried)."""
    try:
        await router.deliver(work)
    except DependencyUnavailable:
        work.finish("failed")


async def _run_stages(router: Router, active: list[Work]) -> None:
    semaphore = asyncio.Semaphore(router.settings.router_batch_concurrency)

    async def each(work: Work, stage: Callable[[Work], Awaitable[None]]) -> None:
        if work.result is not None:
            return
        async with semaphore:
            try:
                await stage(work)
            except DependencyUnavailable as exc:
                log.warning("router.event_failed", event_id=work.event.event_id, error=exc.message)
                work.finish("failed")

    await _all(each(w, router.resolve) for w in active)
    commands = [w for w in active if w.result is None and w.match is not None]
    others = [w for w in active if w.result is None and w.match is None]
    await _all(each(w, router.permit) for w in commands)  # role, cooldowns (§12)
    try:
        await router.check_limits(commands)
    except DependencyUnavailable:
        for w in commands:
            if w.result is None:
                w.finish("failed")
    paying = [w for w in commands if w.result is None and w.match is not None and w.match.spec.cost > 0]
    await router.identify(paying)  # one identity call (no early answer: a cost needs the user)
    await _all(each(w, router.charge) for w in commands)
    runnable = [w for w in commands if w.result is None]
    await asyncio.gather(
        _run_builtins(router, [w for w in runnable if _module(w) == ROUTER or _is_alias(w)]),
        _run_modules(router, [w for w in runnable if _module(w) != ROUTER and not _is_alias(w)]),
        *(each(w, router.fan_out) for w in others),
    )


async def _all(coros: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run the coroutines concurrently, each started at once (eager tasks): a stage that is
    answered from memory (most are: cached reads, in-process limits) finishes without a
    trip through the event loop, and only one that really waits is scheduled."""
    loop = asyncio.get_running_loop()
    tasks = [asyncio.eager_task_factory(loop, coro) for coro in coros]
    if tasks:
        await asyncio.gather(*tasks)


def _is_alias(work: Work) -> bool:
    """Aliases expand one by one (`aliases.run`), then run what they name."""
    assert work.match is not None
    return work.match.spec.alias


def _module(work: Work) -> str:
    assert work.match is not None
    return work.match.spec.module


async def _run_builtins(router: Router, works: list[Work]) -> None:
    await asyncio.gather(*(router.run_command(w) for w in works))


async def _run_modules(router: Router, works: list[Work]) -> None:
    by_module: dict[str, list[Work]] = defaultdict(list)
    for w in works:
        by_module[_module(w)].append(w)
    if works:
        await router.identify(works, accounts.BATCH_WAIT)  # one call; first sightings do not hold the batch
        await router.sessions.put_many([router.session_context(w) for w in works])

    async def one_module(module: str, group: list[Work]) -> None:
        outcomes = await dispatch.invoke_batch(
            router.res, router.settings, router.bulkheads, module, [router.command_request(w) for w in group]
        )
        await _all(router.complete(w, o) for w, o in zip(group, outcomes, strict=True))

    await asyncio.gather(*(one_module(m, g) for m, g in by_module.items()))


async def _settle(router: Router, active: list[Work]) -> None:
    """Mark finished events done (one pipeline); release the claims of failed ones."""
    done = [w.event.event_id for w in active if w.result is not None and w.result.status != "failed"]
    failed = [w.event.event_id for w in active if w.result is not None and w.result.status == "failed"]
    try:
        if done:
            await router.claims.done_many(done, router.settings.router_done_ttl)
    except DependencyUnavailable:
        log.warning("router.batch_done_failed", count=len(done))
    for event_id in failed:
        await router.claims.release(event_id)


def _results(works: list[Work]) -> list[EventResult]:
    results: list[EventResult] = []
    for w in works:
        assert w.result is not None
        record(w)
        results.append(w.result)
    return results
