"""The timers' chat commands and subscribed events (moderators manage timers).

    !timer add <name> <minutes> [--lines N] [--live] <text>
    !timer remove <name>      !timer list      !timer on|off <name>

Subscribed: `chat_message` (counts chat lines), `stream_online` and `stream_offline`
(a Twitch channel's live state).
"""

from __future__ import annotations

import re
from functools import partial

from flask_core import CommandRequest, Event, Resources, Responses, ValidationFailed, chat
from flask_core.events import Role
from flask_core.message_limits import fit
from flask_core.settings import CoreSettings

from . import service
from .service import DEFAULT_LINES, MAX_LINES, MAX_MINUTES, NAME, TEXT_MAX, Chat, TimerError, clock_of

MODERATOR: Role = "moderator"
USAGES = {
    "timer": "!timer add|remove|list|on|off",
    "timer add": "!timer add <name> <minutes> [--lines N] [--live] <text>",
    "timer remove": "!timer remove <name>",
    "timer list": "!timer list",
    "timer on": "!timer on <name>",
    "timer off": "!timer off <name>",
}
DESCRIPTIONS = {
    "timer": "Timers: messages posted every few minutes while you are live and chat is active.",
    "timer add": "Add a timer: every <minutes>, after at least N chat lines (default 5).",
    "timer remove": "Remove a timer.",
    "timer list": "The community's timers.",
    "timer on": "Switch a timer on.",
    "timer off": "Switch a timer off (it keeps its settings).",
}
_COMMUNITY = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)
_ADD = re.compile(
    r"(?P<name>\S+)\s+(?P<minutes>\S+)(?P<options>(?:\s+--(?:lines\s+\S+|live))*)\s+(?P<text>.+)", re.S
)
_OPTION = re.compile(r"--lines\s+(\S+)|--live")


def _community(community_id: str) -> int:
    if not _COMMUNITY.fullmatch(community_id):
        raise ValidationFailed("community_id must be a positive integer", details={"field": "community_id"})
    return int(community_id)


def _answer(request: CommandRequest, text: str) -> Responses:
    return chat(fit(text, request.event.platform))


def _chat(event: Event, community_id: int) -> Chat:
    return Chat(community_id, event.platform, event.server_id, event.channel_id)


def _channel_name(event: Event) -> str:
    for key in ("broadcaster_name", "channel_name"):
        value = event.metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return event.channel_id[:100]


def _limit(res: Resources) -> int:
    settings: CoreSettings = res.settings
    return int(getattr(settings, "timers_max_per_community", 50))


def _number(word: str, low: int, high: int) -> int | None:
    if not (word.isascii() and word.isdigit()):
        return None
    value = int(word)
    return value if low <= value <= high else None


async def usage(res: Resources, request: CommandRequest) -> Responses:
    """`!timer`: how to use it."""
    return _answer(request, "Usage: " + " | ".join(USAGES[p] for p in USAGES if p != "timer"))


async def add(res: Resources, request: CommandRequest) -> Responses:
    """`!timer add <name> <minutes> [--lines N] [--live] <text>`."""
    community_id = _community(request.community_id)
    event = request.event
    if event.platform == "web":
        return _answer(request, "Timers post into a chat: add them from Twitch, Discord or Slack.")
    found = _ADD.fullmatch(request.args_text.strip())
    if found is None:
        return _answer(request, "Usage: " + USAGES["timer add"])
    name = found["name"].lower()
    if not NAME.fullmatch(name):
        return _answer(request, "A timer's name is 1-32 letters, digits, - or _.")
    minutes = _number(found["minutes"], 1, MAX_MINUTES)
    if minutes is None:
        return _answer(request, f"Minutes must be a whole number from 1 to {MAX_MINUTES}.")
    min_lines, follow_live = DEFAULT_LINES, False
    for option in _OPTION.finditer(found["options"]):
        if option.group(0) == "--live":
            follow_live = True
            continue
        parsed = _number(option.group(1), 0, MAX_LINES)
        if parsed is None:
            return _answer(request, f"--lines must be a whole number from 0 to {MAX_LINES}.")
        min_lines = parsed
    text = " ".join(found["text"].split())
    if len(text) > TEXT_MAX:
        return _answer(request, f"That text is too long ({TEXT_MAX} characters at most).")
    if follow_live and event.platform == "twitch":
        follow_live = False  # a Twitch timer follows its own stream anyway
    where = _chat(event, community_id)
    count = await service.lines(res, where)
    now = clock_of(res)
    try:
        timer, on = await res.db.run(
            partial(
                service.add_timer,
                chat=where,
                name=name,
                minutes=minutes,
                min_lines=min_lines,
                text=text,
                follow_live=follow_live,
                channel_name=_channel_name(event),
                created_by=event.user.username,
                count=count,
                now=now,
                limit=_limit(res),
            )
        )
    except TimerError as exc:
        return _answer(request, str(exc))
    every = "every minute" if minutes == 1 else f"every {minutes} minutes"
    after = "" if min_lines == 0 else f" after at least {min_lines} chat lines"
    if event.platform == "twitch":
        when = " while you are live" + ("" if on else " (from the next stream start)")
    elif follow_live:
        when = " while the community's Twitch stream is live"
    else:
        when = ""
    return _answer(request, f"Timer {timer.name} added: {every}{after}{when}.")


async def remove(res: Resources, request: CommandRequest) -> Responses:
    """`!timer remove <name>`."""
    community_id = _community(request.community_id)
    if len(request.args) != 1:
        return _answer(request, "Usage: " + USAGES["timer remove"])
    name = request.args[0].lower()
    timer = await res.db.read(service.find, community_id, name)
    if timer is None or not await res.db.run(service.remove_timer, timer, clock_of(res)):
        return _answer(request, f"No timer called {name}.")
    return _answer(request, f"Timer {name} removed.")


async def list_timers(res: Resources, request: CommandRequest) -> Responses:
    """`!timer list`."""
    community_id = _community(request.community_id)
    timers = await res.db.read(service.list_timers, community_id)
    if not timers:
        return _answer(request, "No timers yet. Add one with " + USAGES["timer add"])
    parts = []
    for timer in timers:
        state = "" if timer.enabled else " (off)"
        parts.append(f"{timer.name}: every {timer.minutes}m, {timer.min_lines} lines{state}")
    return _answer(request, "Timers: " + " | ".join(parts))


async def _switch(res: Resources, request: CommandRequest, enabled: bool) -> Responses:
    community_id = _community(request.community_id)
    path = "timer on" if enabled else "timer off"
    if len(request.args) != 1:
        return _answer(request, "Usage: " + USAGES[path])
    name = request.args[0].lower()
    timer = await res.db.read(service.find, community_id, name)
    if timer is None:
        return _answer(request, f"No timer called {name}.")
    count = await service.lines(res, timer.chat)
    await res.db.run(service.set_enabled, timer, enabled, count, clock_of(res))
    return _answer(request, f"Timer {name} is {'on' if enabled else 'off'}.")


async def switch_on(res: Resources, request: CommandRequest) -> Responses:
    """`!timer on <name>`."""
    return await _switch(res, request, True)


async def switch_off(res: Resources, request: CommandRequest) -> Responses:
    """`!timer off <name>`."""
    return await _switch(res, request, False)


# --- subscribed events -------------------------------------------------------------------------


async def on_chat(res: Resources, event: Event, community_id: str) -> Responses:
    """A chat line (the router's fan-out): one more line for the chat's timers."""
    await service.count_line(res, _chat(event, _community(community_id)))
    return []


async def _live(res: Resources, event: Event, community_id: str, live: bool) -> Responses:
    if event.platform != "twitch":
        return []
    where = _chat(event, _community(community_id))
    counts: dict[tuple[str, str, str], int] = {}
    timers = await res.db.read(service.list_timers, where.community_id)
    for timer in timers:
        key = (timer.chat.platform, timer.chat.server_id, timer.chat.channel_id)
        if key not in counts:
            counts[key] = await service.lines(res, timer.chat)
    await res.db.run(service.set_live, where, live, clock_of(res), counts)
    return []


async def on_stream_online(res: Resources, event: Event, community_id: str) -> Responses:
    return await _live(res, event, community_id, True)


async def on_stream_offline(res: Resources, event: Event, community_id: str) -> Responses:
    return await _live(res, event, community_id, False)
