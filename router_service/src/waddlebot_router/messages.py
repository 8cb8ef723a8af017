"""Module-initiated messages (§11, §12): a module posts into a chat without an event.

`POST /router/api/v1/messages` with `{message_id, community_id, platform, server_id,
channel_id, responses}` delivers the responses to that chat through its collector, with
`invocation_id = message_id` and reply kind `chat`, once per `message_id`:

- the id is claimed (flask_core.idempotency, namespace `router`, key `message:<id>`);
- a copy that meets it in flight is told to retry (503), a finished one is `duplicate`;
- the id is kept for 7 days after delivery; a collector that could not store the
  message (DependencyUnavailable) releases the claim and answers 503, so the module's
  retry delivers it later.
"""

from __future__ import annotations

from typing import Literal

from flask_core import metrics
from flask_core.errors import DependencyUnavailable
from flask_core.idempotency import ClaimState
from flask_core.logging import get_logger

from . import dispatch
from .schemas import ModuleMessage
from .service import Router

log = get_logger(__name__)
#: How long a delivered message id is remembered (§12: 7 days).
MESSAGE_TTL = 7 * 86400.0
MESSAGES = metrics.counter(
    "waddlebot_router_module_messages_total", "Module-initiated messages", ("outcome",)
)

Outcome = Literal["delivered", "duplicate"]


def _key(message_id: str) -> str:
    return f"message:{message_id}"


async def send(router: Router, message: ModuleMessage) -> Outcome:
    """Deliver once per message id; DependencyUnavailable (503) means "try again"."""
    key = _key(message.message_id)
    state = await router.claims.claim(key, router.settings.router_claim_ttl)
    if state is ClaimState.IN_FLIGHT:
        MESSAGES.labels("router", "in_flight").inc()
        raise DependencyUnavailable("this message is being delivered", details={"retry": True})
    if state is ClaimState.DONE:
        MESSAGES.labels("router", "duplicate").inc()
        log.info("router.message_duplicate", message_id=message.message_id)
        return "duplicate"
    target = dispatch.ReplyTarget(message.platform, message.server_id, message.channel_id, {"kind": "chat"})
    responses = [r.model_dump(mode="json") for r in message.responses]
    try:
        await dispatch.deliver(router.res, target, message.message_id, responses)
        await router.claims.done(key, MESSAGE_TTL)
    except BaseException:
        await router.claims.release(key)
        MESSAGES.labels("router", "failed").inc()
        raise
    MESSAGES.labels("router", "delivered").inc()
    log.info(
        "router.message_delivered",
        message_id=message.message_id,
        community_id=message.community_id,
        platform=message.platform,
    )
    return "delivered"
