"""How long one chat answer may be: each platform's single-message limit, and cutting to it.

Every module's answer fits one message of the platform it goes to (a module that means
to send several messages sends several responses). `fit` cuts a text on a word boundary
and ends it with "…"; the collectors' `split_text` stays the last resort for texts that
arrive longer anyway.
"""

from __future__ import annotations

from typing import Final

#: Characters in one chat message, per platform.
MESSAGE_LIMITS: Final[dict[str, int]] = {"twitch": 500, "discord": 2000, "slack": 4000}
#: `web` (the CLI, the portal's simulator) and anything unknown get the strictest limit,
#: so what a streamer tries there is what Twitch chat would show.
DEFAULT_LIMIT: Final = min(MESSAGE_LIMITS.values())
ELLIPSIS: Final = "…"


def message_limit(platform: str) -> int:
    """The single-message limit of `platform` in characters."""
    return MESSAGE_LIMITS.get(platform, DEFAULT_LIMIT)


def shorten(text: str, max_len: int) -> str:
    """`text` if it fits in `max_len` characters, else cut on a word boundary with "…"."""
    if max_len < 1:
        raise ValueError("max_len must be positive")
    text = text.strip()
    if len(text) <= max_len:
        return text
    room = max_len - len(ELLIPSIS)
    if room < 1:
        return ELLIPSIS[:max_len]
    head = text[: room + 1]
    cut = max(head.rfind(" "), head.rfind("\n"))
    piece = head[:cut] if cut > 0 else text[:room]  # one word longer than the room: cut it hard
    return piece.rstrip(" \n\t,;:-\u2013\u2014") + ELLIPSIS  # no dangling dash or comma


def fit(text: str, platform: str) -> str:
    """`text` cut to one message of `platform` (see `shorten`)."""
    return shorten(text, message_limit(platform))
