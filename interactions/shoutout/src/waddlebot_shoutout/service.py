"""Shoutout domain logic: no Quart here; handles are passed in.

`!so @user` looks the user up through the Twitch collector (`GET /twitch/api/v1/users/
{login}`, so Twitch tokens stay there), answers with the community's live or offline
template ($(user), $(game), $(title), $(url); one pass, values inserted literally) and
asks the collector for Twitch's native shoutout (`POST /twitch/api/v1/shoutouts`), which
it sends only where the bot moderates and within Twitch's limits. A target gets one
shoutout per cooldown (default 60 min) per community. A `raid` does the same for the
raider (unless the community turned it off) and adds an `overlay` response (source
`alert`) with the raider's name and game.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_core import (
    CommandRequest,
    DependencyUnavailable,
    Event,
    Resources,
    Responses,
    ValidationFailed,
    chat,
    expand,
    get_logger,
)
from flask_core.message_limits import fit

from .settings import ShoutoutSettings

log = get_logger(__name__)
SELF = "shoutout"
LOGIN = re.compile(r"^[a-z0-9_]{1,25}$")


@dataclass(frozen=True, slots=True)
class CommunitySettings:
    live_template: str
    offline_template: str
    auto_raid: bool
    cooldown: float


def _defaults(res: Resources) -> ShoutoutSettings:
    s = res.settings
    return s if isinstance(s, ShoutoutSettings) else ShoutoutSettings.model_construct()


async def community_settings(res: Resources, community_id: int) -> CommunitySettings:
    defaults = _defaults(res)

    def read(d: Any) -> Any:
        t = d.shoutout_settings
        return d(t.community_id == community_id).select(limitby=(0, 1)).first()

    row = await res.db.read(read)
    return CommunitySettings(
        live_template=(row and row.live_template) or defaults.shoutout_live_template,
        offline_template=(row and row.offline_template) or defaults.shoutout_offline_template,
        auto_raid=True if row is None or row.auto_raid is None else bool(row.auto_raid),
        cooldown=float(row.cooldown)
        if row is not None and row.cooldown is not None
        else defaults.shoutout_cooldown,
    )


async def set_community_settings(
    res: Resources, community_id: int, values: dict[str, Any]
) -> CommunitySettings:
    """Change some settings (None = back to the default); answers all of them."""

    def write(d: Any) -> None:
        t = d.shoutout_settings
        row = {**values, "updated_at": datetime.now(UTC).replace(tzinfo=None)}
        if not d(t.community_id == community_id).update(**row):
            t.insert(community_id=community_id, **row)

    await res.db.run(write)
    return await community_settings(res, community_id)


# --- the Twitch collector -------------------------------------------------------------------


async def lookup(res: Resources, login: str) -> dict[str, Any] | None:
    """The collector's {status, user, channel, stream}, None for an unknown user."""
    response = await res.http.for_service(SELF).call(
        "twitch", "GET", f"/twitch/api/v1/users/{login}", timeout=5.0
    )
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise DependencyUnavailable("twitch lookup failed", details={"status": response.status_code})
    found: dict[str, Any] = response.json()
    return found


async def native_shoutout(res: Resources, from_id: str, to_id: str) -> str:
    """Ask the collector for Twitch's own shoutout; its outcome, never an error to chat."""
    body = {"from_broadcaster_id": from_id, "to_broadcaster_id": to_id}
    try:
        response = await res.http.for_service(SELF).call(
            "twitch", "POST", "/twitch/api/v1/shoutouts", json=body, timeout=5.0, retries=0
        )
    except DependencyUnavailable as exc:
        log.warning("shoutout.native_unavailable", error=exc.message)
        return "failed"
    status = str(response.json().get("status", "failed")) if response.status_code == 200 else "failed"
    log.info("shoutout.native", outcome=status, broadcaster_id=from_id, to_broadcaster_id=to_id)
    return status


# --- shoutouts ------------------------------------------------------------------------------


def render(template: str, found: dict[str, Any]) -> str:
    user = found["user"]
    live = found.get("stream")
    source = live or found.get("channel") or {}
    values = {
        "user": str(user["display_name"]),
        "game": str(source.get("game_name") or "something"),
        "title": str(source.get("title") or ""),
        "url": f"https://twitch.tv/{user['login']}",
    }
    return expand(template, values)


async def shout(
    res: Resources, community_id: int, event: Event, login: str, *, cooldown: bool = True
) -> Responses:
    """The shoutout for `login` in `event`'s channel (chat answer; native shoutout aside)."""
    found = await lookup(res, login)
    if found is None:
        return chat(f"No such channel: {login}.")
    if found.get("status") != "found":
        return chat("Twitch is not answering right now. Try again later.")
    settings = await community_settings(res, community_id)
    if cooldown and settings.cooldown > 0:
        key = f"shoutout:target:{community_id}:{found['user']['id']}"
        if not (await res.limiter.cooldown(key, settings.cooldown)).allowed:
            return chat(f"{found['user']['display_name']} got a shoutout recently.")
    template = settings.live_template if found.get("stream") else settings.offline_template
    text = fit(render(template, found), event.platform)
    if event.platform == "twitch":
        await native_shoutout(res, event.server_id, str(found["user"]["id"]))
    return chat(text)


def _community(value: str) -> int:
    if not value.isdigit():
        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(value)


async def so_command(res: Resources, request: CommandRequest) -> Responses:
    """`!so @user` / `!shoutout @user`."""
    login = request.args[0].lstrip("@").lower() if request.args else ""
    if not login:
        return chat("Usage: !so @user")
    if request.event.platform != "twitch":
        return chat("Shoutouts work for Twitch channels only, for now.")
    if not LOGIN.match(login):
        return chat(f"No such channel: {login[:25]}.")
    return await shout(res, _community(request.community_id), request.event, login)


async def on_raid(res: Resources, event: Event, community_id: str) -> Responses:
    """A raid: the raider's shoutout (when the community wants it) and an alert overlay."""
    community = _community(community_id)
    if event.platform != "twitch" or not (await community_settings(res, community)).auto_raid:
        return []
    login = str(event.metadata.get("from_broadcaster_login") or event.user.username).lower()
    if not LOGIN.match(login):
        return []
    found = await lookup(res, login)
    if found is None or found.get("status") != "found":
        return []
    responses = await shout(res, community, event, login, cooldown=False)
    source = found.get("stream") or found.get("channel") or {}
    overlay = {
        "type": "overlay",
        "source": "alert",
        "payload": {
            "kind": "raid",
            "user": found["user"]["display_name"],
            "login": found["user"]["login"],
            "game": source.get("game_name") or "",
            "viewers": event.metadata.get("viewers"),
        },
    }
    return [*responses, overlay]
