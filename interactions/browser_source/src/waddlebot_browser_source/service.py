"""What becomes an overlay item, once: overlay responses, subscribed events, `!overlay`.

Items reach `Hub.publish` from two paths: the router forwards every `overlay` response
it delivers (`POST /browser_source/api/v1/overlays`, keyed by invocation and index), and
this module's own subscriptions turn follow, subscription, gift, cheer and raid events
into `alerts`. Both paths may describe the same raid (shoutout answers a raid with an
alert overlay too): an alert is published once per (event invocation, alert kind).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError

from flask_core import CommandRequest, Event, Resources, Responses, get_logger
from flask_core.events import invocation_id_for
from flask_core.sweep import SweepSchedule

from . import tokens
from .hub import KINDS, Hub
from .settings import BrowserSourceSettings

log = get_logger(__name__)
HUB_KEY = "browser_source.hub"
CHECK_KEY = "browser_source.tokens"

#: An overlay response's `source` → the overlay kind that shows it.
SOURCES = {
    "alert": "alerts", "alerts": "alerts", "ticker": "ticker", "media": "media",
    "now_playing": "now_playing", "chat": "chat",
}  # fmt: skip
#: Subscribed event types → the alert kind in the payload.
ALERTS = {
    "follow": "follow", "subscription": "subscription", "gift_subscription": "gift",
    "cheer": "cheer", "raid": "raid",
}  # fmt: skip
MAX_PAYLOAD_TEXT = 500


def hub(res: Resources) -> Hub:
    found: Hub = res.extras[HUB_KEY]
    return found


def settings_of(res: Resources) -> BrowserSourceSettings:
    s = res.settings
    return s if isinstance(s, BrowserSourceSettings) else BrowserSourceSettings.model_construct()


def _clip(value: Any, depth: int = 0) -> Any:
    """JSON payloads as data: strings cut to a length, nesting bounded; never markup."""
    if isinstance(value, str):
        return value[:MAX_PAYLOAD_TEXT]
    if isinstance(value, bool | int | float) or value is None:
        return value
    if depth >= 3:
        return None
    if isinstance(value, dict):
        return {str(k)[:64]: _clip(v, depth + 1) for k, v in list(value.items())[:32]}
    if isinstance(value, list | tuple):
        return [_clip(v, depth + 1) for v in list(value)[:50]]
    return str(value)[:MAX_PAYLOAD_TEXT]


def make_item(kind: str, source: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "item",
        "id": uuid.uuid4().hex,
        "kind": kind,
        "source": source,
        "payload": _clip(payload),
        "at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }


class Seen:
    """`await seen.first(key)`: True the first time a key is offered (Redis SET NX, or in process)."""

    def __init__(self, res: Resources, ttl: float) -> None:
        self.res, self.ttl = res, ttl
        self._local: dict[str, float] = {}
        self._sweeps = SweepSchedule(50_000)

    async def first(self, key: str) -> bool:
        redis = self.res.redis
        if redis is not None:
            try:
                return bool(
                    await redis.set(self.res.key("browser_source", "seen", key), 1, nx=True, ex=int(self.ttl))
                )
            except (RedisError, OSError) as exc:
                log.warning("browser_source.dedupe_unavailable", error=repr(exc))
                return True  # an overlay shown twice beats one never shown
        now = time.monotonic()
        if self._sweeps.due(len(self._local)):
            self._local = {k: v for k, v in self._local.items() if v > now}
            self._sweeps.swept(len(self._local))
        if self._local.get(key, 0.0) > now:
            return False
        self._local[key] = now + self.ttl
        return True


SEEN_KEY = "browser_source.seen"


def seen(res: Resources) -> Seen:
    found: Seen = res.extras[SEEN_KEY]
    return found


async def push(
    res: Resources, community_id: int, invocation_id: str, items: list[tuple[int, str, dict[str, Any]]]
) -> int:
    """Publish the overlay responses of one invocation (index, source, payload); once each."""
    published = 0
    for index, source, payload in items:
        kind = SOURCES.get(source)
        if kind is None:
            log.info("browser_source.unknown_source", source=source)
            continue
        key = f"{invocation_id}:{index}"
        if kind == "alerts":
            key = f"alert:{invocation_id}:{payload.get('kind', '')}"
        if not await seen(res).first(key):
            continue
        await hub(res).publish(community_id, kind, make_item(kind, source, payload))
        published += 1
    return published


def alert_payload(event: Event) -> dict[str, Any]:
    user = event.user
    meta = event.metadata
    payload: dict[str, Any] = {
        "kind": ALERTS[event.type],
        "user": user.display_name or user.username,
        "login": user.username,
    }
    for name in ("viewers", "bits", "tier", "total", "cumulative_total", "is_anonymous", "is_gift"):
        if name in meta and meta[name] is not None:
            payload[name] = meta[name]
    if event.type == "cheer" and event.text:
        payload["message"] = event.text
    return payload


async def on_alert_event(res: Resources, event: Event, community_id: str) -> Responses:
    """follow, subscription, gift, cheer, raid → one `alerts` item (nothing in chat)."""
    if not community_id.isdigit():
        return []
    # The same key the router's forwarded overlays of this event use (decision 0067).
    await push(
        res, int(community_id), invocation_id_for(event.event_id), [(0, "alert", alert_payload(event))]
    )
    return []


def overlay_urls(base: str, token: str) -> dict[str, str]:
    return {kind: f"{base}/browser_source/overlay/{token}/{kind}" for kind in KINDS}


def public_base(res: Resources) -> str:
    s = res.settings
    return (s.public_url or s.self_url).rstrip("/")


async def overlay_command(res: Resources, request: CommandRequest) -> Responses:
    """`!overlay` (moderator): the overlay URLs, privately (`dm`)."""
    if not request.community_id.isdigit():
        return [{"type": "error", "code": "validation_error", "text": "This chat has no community yet."}]
    token = await tokens.current(res.db, int(request.community_id))
    urls = overlay_urls(public_base(res), token)
    # The kind ends each URL, so no labels: the answer stays short (a whisper may be split).
    return [{"type": "dm", "text": "Overlays (keep private): " + " ".join(urls.values())}]


async def media_report(res: Resources, community_id: int, what: str, message: dict[str, Any]) -> None:
    """The media overlay says a song ended (or could not play): youtube_music advances."""
    request_id = message.get("request_id")
    if not isinstance(request_id, int | str) or not str(request_id).isdigit():
        return
    body = {"request_id": int(request_id), "outcome": what}
    path = f"/youtube_music/api/v1/communities/{community_id}/queue/ended"
    try:
        response = await res.http.for_service("browser_source").call(
            "youtube_music", "POST", path, json=body, timeout=3.0, retries=1
        )
    except Exception as exc:  # the song stays current; the overlay reports again on the next one
        log.warning("browser_source.media_report_failed", error=repr(exc))
        return
    if response.status_code >= 300:
        log.warning("browser_source.media_report_refused", status=response.status_code)
