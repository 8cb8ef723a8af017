"""Who is asking (identity) and what a command costs (reputation), for the pipeline.

- Identity: `POST /identity/api/v1/resolve` gives the internal user of a platform user;
  the answer `{user_id, linked}` is cached under `identity:resolve:{platform}:{id}` (the
  identity service invalidates it on link and unlink). Identity not deployed, down or
  answering nonsense: `None`, and the command runs all the same.
- Points: a command's cost is charged before it runs (§12's order: … → cost → run),
  `charge_id` = the invocation id, so a redelivered event is charged once; a module
  that fails (error, unavailable, open breaker) gets the charge refunded. Reputation not
  deployed or unreachable: the command is refused, never run for free.
"""

from __future__ import annotations

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


async def identify(router: Router, event: Event) -> Identity | None:
    """The asker's internal user, or None (identity is never a reason to fail a command)."""
    res = router.res
    if not deployed(res, IDENTITY):
        return None
    body = {
        "platform": event.platform,
        "platform_user_id": event.user.platform_user_id,
        "username": event.user.username,
        "display_name": event.user.display_name or None,
    }

    async def load() -> dict[str, Any]:
        try:
            response = await res.http.for_service(CALLER).call(
                IDENTITY, "POST", "/identity/api/v1/resolve", json=body, timeout=2.0, retries=1
            )
        except DependencyUnavailable as exc:
            raise _NoAnswer from exc
        if response.status_code != 200:
            raise _NoAnswer
        try:
            answer = response.json()
            return {"user_id": str(answer["user_id"]), "linked": bool(answer.get("linked", False))}
        except (ValueError, KeyError, TypeError):
            raise _NoAnswer from None

    try:
        found = await res.cache.get_or_set(
            identity_key(event.platform, event.user.platform_user_id), load, ttl=IDENTITY_TTL, local=True
        )
    except _NoAnswer:
        log.warning("router.identity_unavailable", platform=event.platform)
        return None
    return Identity.model_validate(found)


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
