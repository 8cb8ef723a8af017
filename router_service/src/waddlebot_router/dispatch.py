"""Calls to modules (§4.3) and deliveries to collectors (§4.4), through the shared client."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter, ValidationError

from flask_core import inprocess, metrics
from flask_core.errors import DependencyUnavailable
from flask_core.events import AnyResponse, CommandBatch, CommandBatchResult, CommandRequest, Event
from flask_core.logging import get_logger
from flask_core.resources import Resources
from flask_core.tokens import mint_service_token

from . import overlays
from .registry import EXTERNALS
from .settings import RouterSettings

log = get_logger(__name__)
ROUTER = "router"
_responses = TypeAdapter(list[AnyResponse])
MODULE_LATENCY = metrics.histogram(
    "waddlebot_router_module_latency_seconds", "Module call latency", ("module", "outcome")
)
DELIVERIES = metrics.counter(
    "waddlebot_router_deliveries_total", "Deliveries to collectors", ("platform", "outcome")
)


def unavailable(module: str) -> dict[str, Any]:
    return {"type": "chat", "text": f"Sorry, {module} is unavailable right now. Try again later."}


class ModuleOutcome:
    """What a module answered: responses, or accepted for a late answer (202)."""

    __slots__ = ("ok", "pending", "responses")

    def __init__(self, responses: list[dict[str, Any]], *, pending: bool = False, ok: bool = True):
        self.responses = responses
        self.pending = pending
        self.ok = ok


def validated_responses(payload: Any) -> list[dict[str, Any]]:
    items = payload.get("responses", []) if isinstance(payload, dict) else []
    return [r.model_dump(mode="json") for r in _responses.validate_python(items)]


class Bulkheads:
    """At most N calls in flight per module; the rest queue here, not inside the module.

    An overloaded module otherwise receives every call at once, each one's budget runs
    out while it waits on the module's own pools, and its breaker opens under mere load.
    Waiting for a slot is bounded by the module's budget too: `budget(module)` is its
    command time budget in seconds (the registry's, from the manifest and the table).
    """

    def __init__(self, size: int, budget: Callable[[str], float]) -> None:
        self.size = size
        self.budget = budget
        self._slots: dict[str, asyncio.Semaphore] = {}

    def __call__(self, module: str) -> asyncio.Semaphore:
        slot = self._slots.get(module)
        if slot is None:
            slot = self._slots[module] = asyncio.Semaphore(self.size)
        return slot


RETRY_BASE = 0.05
RETRY_CAP = 1.0


async def post(
    res: Resources,
    settings: RouterSettings,
    bulkheads: Bulkheads,
    module: str,
    path: str,
    body: Any,
    budget: float | None = None,
) -> tuple[int, Any] | None:
    """POST to a module within its budget: (status, JSON body), or None when it failed.

    A connection error, an open circuit or a 503 is retried with backoff and jitter until
    the budget runs out: modules answer a repeated invocation from their record (§11), so
    a brief outage (a restarted database, a rolling deploy) delays the answer instead of
    replacing it with the "unavailable" text.
    """
    started = time.perf_counter()
    outcome = "error"
    budget = bulkheads.budget(module) if budget is None else budget
    deadline = asyncio.get_running_loop().time() + budget
    try:
        async with asyncio.timeout(budget):
            await bulkheads(module).acquire()
    except TimeoutError:
        log.warning("router.module_busy", module=module)
        MODULE_LATENCY.labels(ROUTER, module, "busy").observe(time.perf_counter() - started)
        return None
    try:
        attempt = 0
        while True:
            attempt += 1
            failure = await _attempt(res, module, path, body, deadline)
            if not isinstance(failure, str):
                outcome = "accepted" if failure[0] == 202 else str(failure[0])
                return failure
            outcome = failure
            pause = _pause(res, module, attempt, failure)
            if pause is None or asyncio.get_running_loop().time() + pause >= deadline - 0.05:
                log.warning("router.module_unavailable", module=module, reason=failure, attempts=attempt)
                return None
            await asyncio.sleep(pause)
    finally:
        bulkheads(module).release()
        MODULE_LATENCY.labels(ROUTER, module, outcome).observe(time.perf_counter() - started)


async def _attempt(
    res: Resources, module: str, path: str, body: Any, deadline: float
) -> tuple[int, Any] | str:
    """One call: (status, body) on 200/202, else the reason it failed (retryable or not).

    A module served by this very process is called directly (`flask_core.inprocess`,
    decision 0007): the same handlers, validation, records and budget, no second request.
    """
    left = deadline - asyncio.get_running_loop().time()
    if left <= 0:
        return "timeout"
    external = res.extras.get(EXTERNALS, {}).get(module)
    try:
        if external is not None:  # registered by URL: signed with its own secret (§12)
            url, secret = external
            token = mint_service_token(secret, ROUTER, module)
            response = await res.http.for_service(ROUTER).request(
                "POST", url + path, json=_json(body), headers={"Authorization": f"Bearer {token}"},
                timeout=left, retries=0, breaker_key=module,
            )  # fmt: skip
        else:
            local = await inprocess.call(res, module, path, body, left)
            if local is not None:
                return local
            response = await res.http.for_service(ROUTER).call(
                module, "POST", path, json=_json(body), timeout=left, retries=0
            )
    except DependencyUnavailable as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        return str(details.get("status") or details.get("reason") or "unavailable")
    if response.status_code == 202:
        return 202, None
    if response.status_code != 200:
        log.warning("router.module_error", module=module, status=response.status_code)
        return str(response.status_code)
    try:
        return 200, response.json()
    except ValueError as exc:
        log.warning("router.module_bad_answer", module=module, error=str(exc)[:300])
        return "bad_answer"


def _json(body: Any) -> Any:
    """The JSON form of a body: a model (a command request) is dumped only to leave the process."""
    return body.model_dump(mode="json") if isinstance(body, BaseModel) else body


_RETRYABLE = frozenset({"connection", "circuit_open", "502", "503", "504"})


def _pause(res: Resources, module: str, attempt: int, reason: str) -> float | None:
    """How long to wait before the next attempt, or None when this failure is final."""
    if reason not in _RETRYABLE:
        return None
    pause = random.uniform(0, min(RETRY_CAP, RETRY_BASE * 2 ** (attempt - 1))) + 0.01
    if reason == "circuit_open":  # wait for the breaker's half-open trial
        pause = max(pause, min(RETRY_CAP, res.http.breaker(module).retry_in()))
    return pause


async def invoke(
    res: Resources, settings: RouterSettings, bulkheads: Bulkheads, request: CommandRequest, module: str
) -> ModuleOutcome:
    """POST one command to its module; a module that fails gives the unavailable text."""
    path = "/".join(quote(part, safe="") for part in request.command.split())
    answer = await post(res, settings, bulkheads, module, f"/{module}/api/v1/commands/{path}", request)
    if answer is not None:
        status, payload = answer
        if status == 202:
            return ModuleOutcome([], pending=True)
        try:
            return ModuleOutcome(validated_responses(payload))
        except ValidationError as exc:
            log.warning("router.module_bad_answer", module=module, error=str(exc)[:300])
    return ModuleOutcome([unavailable(module)], ok=False)


async def invoke_batch(
    res: Resources,
    settings: RouterSettings,
    bulkheads: Bulkheads,
    module: str,
    requests: list[CommandRequest],
) -> list[ModuleOutcome]:
    """One `commands:batch` call for several commands of one module, results in order.

    Items the module could not answer for a passing reason (`dependency_unavailable`, its
    database restarting) are asked again, alone, with backoff within the same budget.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bulkheads.budget(module)
    outcomes: list[ModuleOutcome | None] = [None] * len(requests)
    asking = list(range(len(requests)))
    attempt = 0
    while asking:
        attempt += 1
        items = await _call_batch(
            res, settings, bulkheads, module, [requests[i] for i in asking], deadline - loop.time()
        )
        retry: list[int] = []
        for index, item in zip(asking, items, strict=True):
            if (
                item is not None
                and item.get("status") == "error"
                and item.get("error") == "dependency_unavailable"
            ):
                retry.append(index)
            outcomes[index] = _batch_item(module, item) if item is not None else None
        pause = random.uniform(0, min(RETRY_CAP, RETRY_BASE * 2 ** (attempt - 1))) + 0.01
        if not retry or loop.time() + pause >= deadline - 0.05:
            break
        await asyncio.sleep(pause)
        asking = retry
    return [o if o is not None else ModuleOutcome([unavailable(module)], ok=False) for o in outcomes]


async def _call_batch(
    res: Resources,
    settings: RouterSettings,
    bulkheads: Bulkheads,
    module: str,
    requests: list[CommandRequest],
    budget: float,
) -> list[dict[str, Any] | None]:
    """The module's batch answer item by item (None for every item when the call failed)."""
    if budget <= 0:
        return [None] * len(requests)
    body = CommandBatch.model_construct(requests=requests)  # built from validated events
    answer = await post(res, settings, bulkheads, module, f"/{module}/api/v1/commands:batch", body, budget)
    if answer is not None and answer[0] == 200:
        try:
            parsed = CommandBatchResult.model_validate(answer[1])
        except ValidationError as exc:
            log.warning("router.module_bad_answer", module=module, error=str(exc)[:300])
        else:
            if len(parsed.results) == len(requests):
                return [item.model_dump(mode="json") for item in parsed.results]
            log.warning("router.module_bad_answer", module=module, error="result count differs")
    return [None] * len(requests)


def _batch_item(module: str, item: dict[str, Any]) -> ModuleOutcome:
    match item.get("status"):
        case "ok":
            return ModuleOutcome(item.get("responses", []))
        case "accepted":
            return ModuleOutcome([], pending=True)
        case _:
            return ModuleOutcome([unavailable(module)], ok=False)


def asking_user(event: Event) -> dict[str, str]:
    """Who asked, as delivery and session records carry it (§12)."""
    return {"platform_user_id": event.user.platform_user_id, "username": event.user.username}


def without_private(responses: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The responses an HTTP answer may show (every `dm` left out), and how many were left out."""
    shown = [r for r in responses if r.get("type") != "dm"]
    return shown, len(responses) - len(shown)


@dataclass(slots=True, frozen=True)
class ReplyTarget:
    """Where an invocation's answers go: the event's platform, server, channel and reply."""

    platform: str
    server_id: str
    channel_id: str
    reply: dict[str, Any]
    user: dict[str, str] | None = None  # the asking user: where a `dm` goes (§12)

    @classmethod
    def of(cls, event: Event) -> ReplyTarget:
        reply = event.reply.model_dump(mode="json")
        return cls(event.platform, event.server_id, event.channel_id, reply, asking_user(event))

    @classmethod
    def from_session(cls, ctx: dict[str, Any]) -> ReplyTarget:
        return cls(ctx["platform"], ctx["server_id"], ctx["channel_id"], ctx["reply"], ctx.get("user"))

    @property
    def through_collector(self) -> bool:
        """Platform reply kinds go through the collector; `inline` only returns."""
        return self.reply.get("kind", "inline") != "inline" and self.platform != "web"


async def deliver(
    res: Resources, target: ReplyTarget, invocation_id: str, responses: list[dict[str, Any]]
) -> None:
    """Hand responses to the target's collector, which stores them before its 202.

    A failure is logged, counted and raised as DependencyUnavailable, so the caller does
    not mark the invocation done and it is delivered again (deduped per invocation).
    """
    await overlays.forward(res, target, invocation_id, responses)
    if not target.through_collector or not responses:
        return
    body = {
        "invocation_id": invocation_id,
        "server_id": target.server_id,
        "channel_id": target.channel_id,
        "reply": target.reply,
        "responses": responses,
    }
    if target.user is not None:
        body["user"] = target.user
    platform = target.platform
    error = None
    try:
        response = await res.http.for_service(ROUTER).call(
            platform, "POST", f"/{platform}/api/v1/messages", json=body, timeout=5.0, retries=2
        )
        outcome = "ok" if response.status_code < 300 else f"http_{response.status_code}"
    except DependencyUnavailable as exc:
        outcome, error = "unavailable", exc.message
    if outcome != "ok":
        log.warning(
            "router.delivery_failed",
            platform=platform,
            outcome=outcome,
            error=error,
            invocation_id=invocation_id,
        )
    DELIVERIES.labels(ROUTER, platform, outcome).inc()
    if outcome != "ok":
        raise DependencyUnavailable(
            f"the {platform} collector did not take the answer",
            details={"platform": platform, "outcome": outcome},
        )
