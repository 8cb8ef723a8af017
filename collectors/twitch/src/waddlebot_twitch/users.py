"""Twitch lookups and native shoutouts for other services (shoutout), so tokens stay here.

`lookup` joins Helix `GET /users`, `GET /channels` and `GET /streams`. `shoutout` calls
`POST /chat/shoutouts` only where the bot moderates, within Twitch's own limits (one per
channel per 2 minutes, one per target per 60 minutes), kept here with the shared limiter
so a refused call is not even sent; a 429 from Twitch is an outcome, not an error.
"""

from __future__ import annotations

from typing import Any

from flask_core.delivery import SendRejected
from flask_core.errors import DependencyUnavailable
from flask_core.logging import get_logger
from flask_core.resources import Resources

from .channels import Channels
from .helix import Helix

log = get_logger(__name__)
CHANNEL_GAP = 120.0  # Twitch: one shoutout per channel per 2 minutes
TARGET_GAP = 3600.0  # Twitch: one shoutout per target per 60 minutes


async def lookup(helix: Helix, login: str) -> dict[str, Any] | None:
    """{status: found, user, channel, stream} for a login, None when Twitch knows no such
    user, {status: unavailable} when Twitch could not be asked (refused credentials, down)."""
    try:
        user = await helix.user(login)
        if user is None:
            return None
        user_id = str(user["id"])
        channel = await helix.channel(user_id) or {}
        stream = await helix.stream(user_id)
    except (SendRejected, DependencyUnavailable) as exc:
        log.warning("twitch.lookup_unavailable", error=str(exc)[:200])
        return {"status": "unavailable", "user": None, "channel": None, "stream": None}
    return {
        "status": "found",
        "user": {"id": user_id, "login": str(user.get("login", login)),
                 "display_name": str(user.get("display_name") or user.get("login") or login)},
        "channel": {"game_name": str(channel.get("game_name") or ""),
                    "title": str(channel.get("title") or "")},
        "stream": None if stream is None else {
            "game_name": str(stream.get("game_name") or ""), "title": str(stream.get("title") or ""),
            "viewer_count": int(stream.get("viewer_count") or 0),
        },
    }  # fmt: skip


async def shoutout(res: Resources, helix: Helix, channels: Channels, from_id: str, to_id: str) -> str:
    """`sent`, `not_moderator`, `rate_limited` (ours or Twitch's 429) or `failed`."""
    if not await channels.bot_is_moderator(from_id):
        return "not_moderator"
    target_ok = await res.limiter.cooldown(f"twitch:shoutout:target:{from_id}:{to_id}", TARGET_GAP)
    if not target_ok.allowed:
        return "rate_limited"
    channel_ok = await res.limiter.cooldown(f"twitch:shoutout:channel:{from_id}", CHANNEL_GAP)
    if not channel_ok.allowed:
        return "rate_limited"
    try:
        status = await helix.shoutout(from_id, to_id)
    except (SendRejected, DependencyUnavailable) as exc:
        log.warning("twitch.shoutout_failed", broadcaster_id=from_id, error=str(exc)[:200])
        return "failed"
    if status == 204:
        log.info("twitch.shoutout_sent", broadcaster_id=from_id, to_broadcaster_id=to_id)
        return "sent"
    if status == 429:
        log.info("twitch.shoutout_rate_limited", broadcaster_id=from_id, to_broadcaster_id=to_id)
        return "rate_limited"
    log.warning("twitch.shoutout_refused", broadcaster_id=from_id, status=status)
    return "failed"
