"""Timed posts into a chat: the shared part of reminders, calendar reminders and overdue notices.

A scheduled job (`flask_core.scheduler`) that fires posts through the router's
module-initiated messages API (§11, decision 0041), `POST /router/api/v1/messages`, with
§12's message id `<prefix>:<kind>:<id>:<occurrence>`, so a replica that fires an
occurrence again never posts it twice:

    await post(res, prefix, message_id=…, community_id=…, platform=…, server_id=…,
               channel_id=…, responses=[…])   -> the router's status ("delivered",
               "duplicate") or None when refused for good (a 4xx: retrying cannot help);
               DependencyUnavailable on 5xx/429 so the scheduler retries with backoff
    run_scheduler(app, key, handlers, interval=…)
               the service's Scheduler under supervision while the app serves, kept in
               `app.extensions[key]` (tests move its clock); `handlers(res)` maps kinds
               to `async handler(job)`
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from quart import Quart

from .errors import DependencyUnavailable
from .logging import get_logger
from .resources import Resources
from .scheduler import Handler, Scheduler
from .supervise import supervise

log = get_logger(__name__)
MESSAGES = "/router/api/v1/messages"


async def post(
    res: Resources,
    prefix: str,
    *,
    message_id: str,
    community_id: int | str,
    platform: str,
    server_id: str,
    channel_id: str,
    responses: list[dict[str, Any]],
    timeout: float = 10.0,  # noqa: ASYNC109 - a total budget, passed to the client
) -> str | None:
    """Deliver `responses` to one chat once per `message_id` through the router."""
    body = {
        "message_id": message_id,
        "community_id": community_id,
        "platform": platform,
        "server_id": server_id,
        "channel_id": channel_id,
        "responses": responses,
    }
    response = await res.http.for_service(prefix).call(
        "router", "POST", MESSAGES, json=body, timeout=timeout, retries=1
    )
    if response.status_code >= 500 or response.status_code == 429:
        raise DependencyUnavailable(
            "the router did not take the message", details={"status": response.status_code}
        )
    if response.status_code != 200:
        log.warning("chat_post.refused", message_id=message_id, status=response.status_code)
        return None
    status = str(response.json().get("status", ""))
    log.info("chat_post.posted", message_id=message_id, outcome=status)
    return status


def run_scheduler(
    app: Quart,
    key: str,
    handlers: Callable[[Resources], Mapping[str, Handler]],
    *,
    interval: float = 1.0,
) -> None:
    """Run this service's scheduler (its job kinds only) under supervision while `app` serves."""
    from .app import resources

    async def body() -> None:
        res = resources(app)
        runner = Scheduler(res.db, handlers(res), interval=interval)
        app.extensions[key] = runner
        await runner.run()

    supervise(app, "scheduler", body)
