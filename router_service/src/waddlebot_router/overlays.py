"""Overlay responses go to browser_source (FEATURES: router outbound; §11 module messages).

`forward(res, target, invocation_id, responses)` is called by `dispatch.deliver` for every
answer the router delivers (events, batches, late answers, module-initiated messages),
whatever the reply kind: the `overlay` responses among them are posted to
`POST /browser_source/api/v1/overlays` with their index in the answer, so browser_source
shows each (invocation, index) once however often a delivery is retried. It is
best-effort and bounded: an overlay that cannot be shown never fails or delays the
chat answer by more than FORWARD_TIMEOUT (decision 0067).
"""

from __future__ import annotations

from typing import Any, Protocol

from flask_core import metrics
from flask_core.errors import DependencyUnavailable
from flask_core.logging import get_logger
from flask_core.resources import Resources

from .communities import find_community

log = get_logger(__name__)
BROWSER_SOURCE = "browser_source"
FORWARD_TIMEOUT = 2.0
FORWARDED = metrics.counter(
    "waddlebot_router_overlays_total", "Overlay responses forwarded to browser_source", ("outcome",)
)


class Target(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def server_id(self) -> str: ...


async def forward(
    res: Resources, target: Target, invocation_id: str, responses: list[dict[str, Any]]
) -> None:
    items = [
        {"index": index, "source": r.get("source", ""), "payload": r.get("payload") or {}}
        for index, r in enumerate(responses)
        if r.get("type") == "overlay"
    ]
    if not items:
        return
    outcome = "ok"
    try:
        community_id = await _community(res, target.platform, target.server_id)
        if community_id is None:
            outcome = "no_community"
        else:
            body = {"invocation_id": invocation_id, "community_id": community_id, "items": items}
            response = await res.http.for_service("router").call(
                BROWSER_SOURCE, "POST", f"/{BROWSER_SOURCE}/api/v1/overlays",
                json=body, timeout=FORWARD_TIMEOUT, retries=1,
            )  # fmt: skip
            outcome = "ok" if response.status_code < 300 else f"http_{response.status_code}"
    except DependencyUnavailable:
        outcome = "unavailable"
    except Exception as exc:  # never let an overlay fail the chat answer
        log.warning("router.overlay_forward_error", error=repr(exc))
        outcome = "error"
    FORWARDED.labels("router", outcome).inc(len(items))
    if outcome != "ok":
        log.warning("router.overlay_not_forwarded", outcome=outcome, invocation_id=invocation_id)


async def _community(res: Resources, platform: str, server_id: str) -> int | None:
    cached = await res.cache.get(f"router:community:{platform}:{server_id}")
    if isinstance(cached, int):
        return cached
    return await find_community(res, platform, server_id)
