"""EventSub subscriptions: create them for a channel, list, delete, and record their state.

Conditions (PITFALLS.md): `channel.chat.message` needs `user_id` = the bot, and
`channel.follow` v2 needs `moderator_user_id` (the bot, which must moderate the channel
and have authorised `moderator:read:followers`). Webhook subscriptions use the app token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core.logging import get_logger
from flask_core.resources import Resources

from .channels import Channels
from .helix import Helix
from .settings import TwitchSettings

log = get_logger(__name__)
CALLBACK_PATH = "/twitch/webhooks/eventsub"


@dataclass(slots=True, frozen=True)
class Wanted:
    type: str
    version: str
    condition: dict[str, str]


def wanted_for(broadcaster_id: str, bot_user_id: str) -> list[Wanted]:
    """Every subscription one channel needs."""
    b = {"broadcaster_user_id": broadcaster_id}
    return [
        Wanted("channel.chat.message", "1", {**b, "user_id": bot_user_id}),
        Wanted("channel.follow", "2", {**b, "moderator_user_id": bot_user_id}),
        Wanted("channel.subscribe", "1", b),
        Wanted("channel.subscription.gift", "1", b),
        Wanted("channel.cheer", "1", b),
        Wanted("channel.raid", "1", {"to_broadcaster_user_id": broadcaster_id}),
        Wanted("stream.online", "1", b),
        Wanted("stream.offline", "1", b),
    ]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def subscribe_channel(
    res: Resources, settings: TwitchSettings, helix: Helix, broadcaster_id: str
) -> list[dict[str, Any]]:
    """Create the channel's subscriptions; one result per type: created, exists or failed."""
    if not settings.public_url:
        raise ValueError("PUBLIC_URL must be set: Twitch calls it back over HTTPS")
    secret = settings.twitch_eventsub_secret.get_secret_value() if settings.twitch_eventsub_secret else ""
    transport = {
        "method": "webhook",
        "callback": settings.public_url.rstrip("/") + CALLBACK_PATH,
        "secret": secret,
    }
    results: list[dict[str, Any]] = []
    for want in wanted_for(broadcaster_id, helix.bot_user_id):
        body = {
            "type": want.type,
            "version": want.version,
            "condition": want.condition,
            "transport": transport,
        }
        response = await helix.as_app("POST", "/eventsub/subscriptions", json=body)
        outcome = {202: "created", 409: "exists"}.get(response.status_code, f"failed_{response.status_code}")
        if response.status_code == 202:
            for sub in response.json().get("data") or []:
                await res.db.run(_record, sub, broadcaster_id)
        else:
            log.warning("twitch.subscribe_failed", type=want.type, status=response.status_code)
        results.append({"type": want.type, "outcome": outcome})
    await refresh_moderation(res, settings, helix, broadcaster_id)
    return results


async def refresh_moderation(
    res: Resources, settings: TwitchSettings, helix: Helix, broadcaster_id: str
) -> bool:
    """Ask Helix whether the bot moderates the channel, and record it."""
    moderated = {str(c.get("broadcaster_id")): c for c in await helix.moderated_channels()}
    is_mod = broadcaster_id in moderated or broadcaster_id == helix.bot_user_id
    login = moderated.get(broadcaster_id, {}).get("broadcaster_login")
    await Channels(res, settings).record(broadcaster_id, is_mod, login=login or broadcaster_id)
    return is_mod


async def list_subscriptions(helix: Helix, pages: int = 20) -> list[dict[str, Any]]:
    """Every subscription of this client id (`GET /eventsub/subscriptions`, paginated)."""
    found: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    for _ in range(pages):
        response = await helix.as_app("GET", "/eventsub/subscriptions", params=params or None)
        if response.status_code != 200:
            raise RuntimeError(f"listing subscriptions failed: HTTP {response.status_code}")
        payload = response.json()
        found.extend(payload.get("data") or [])
        cursor = (payload.get("pagination") or {}).get("cursor")
        if not cursor:
            break
        params = {"after": cursor}
    return found


async def delete_subscription(res: Resources, helix: Helix, subscription_id: str) -> bool:
    """Delete one subscription on Twitch and mark its row; False when Twitch does not know it."""
    response = await helix.as_app("DELETE", "/eventsub/subscriptions", params={"id": subscription_id})
    if response.status_code == 404:
        return False
    if response.status_code != 204:
        raise RuntimeError(f"deleting {subscription_id} failed: HTTP {response.status_code}")
    await mark(res, subscription_id, "deleted")
    return True


async def mark(
    res: Resources, subscription: dict[str, Any] | str, status: str, reason: str | None = None
) -> None:
    """Record a subscription's new status (verified, revoked, deleted), creating the row if needed."""
    sub = {"id": subscription} if isinstance(subscription, str) else subscription
    await res.db.run(_mark, sub, status, reason)


def _record(db: Any, sub: dict[str, Any], broadcaster_id: str) -> None:
    t = db.eventsub_subscriptions
    values = {
        "type": sub.get("type", ""), "version": sub.get("version"), "broadcaster_id": broadcaster_id,
        "condition": sub.get("condition") or {}, "status": sub.get("status"), "cost": sub.get("cost"),
        "updated_at": _now(),
    }  # fmt: skip
    if not db(t.twitch_id == sub["id"]).update(**values):
        t.insert(twitch_id=sub["id"], created_at=_now(), **values)


def _mark(db: Any, sub: dict[str, Any], status: str, reason: str | None) -> None:
    t = db.eventsub_subscriptions
    values: dict[str, Any] = {"status": status, "updated_at": _now()}
    if status == "revoked":
        values.update(revoked_at=_now(), revoked_reason=(reason or "")[:128])
    if db(t.twitch_id == sub["id"]).update(**values):
        return
    condition = sub.get("condition") or {}
    broadcaster = condition.get("broadcaster_user_id") or condition.get("to_broadcaster_user_id")
    t.insert(
        twitch_id=sub["id"], type=sub.get("type", "unknown"), version=sub.get("version"),
        broadcaster_id=broadcaster, condition=condition, created_at=_now(), **values,
    )  # fmt: skip
