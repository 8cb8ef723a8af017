"""Outbound text rules per platform, shared by every collector (re-exported by delivery).

`split_text` cuts a text into messages of at most `max_len` characters on word
boundaries; the neutralisers make sure text from users cannot act as a platform command
or mention (Twitch: no leading `/` or `.`; Slack: `<>&` escaped; Discord: sent with
`allowed_mentions` = DISCORD_ALLOWED_MENTIONS). They run on each piece after splitting,
because each piece is a message of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from .message_limits import MESSAGE_LIMITS

MAX_LENGTHS: Final = dict(MESSAGE_LIMITS)  # one place for the limits: message_limits
DISCORD_ALLOWED_MENTIONS: Final[dict[str, list[str]]] = {"parse": []}

_SPACE = re.compile(r"\s")
_TWITCH_LEADING = re.compile(r"^[\s/.]+")


def split_text(text: str, max_len: int) -> list[str]:
    """Pieces of at most `max_len` characters, cut at the last whitespace that fits."""
    if max_len < 1:
        raise ValueError("max_len must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > max_len:
        cut = max((m.start() for m in _SPACE.finditer(rest, 0, max_len + 1)), default=0)
        cut = cut or max_len  # one word longer than max_len: cut it hard
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def neutralise_twitch(text: str) -> str:
    """One line with no leading `/` or `.`, which Twitch chat reads as commands."""
    return _TWITCH_LEADING.sub("", " ".join(text.split()))


def neutralise_slack(text: str) -> str:
    """Escape `&`, `<` and `>`, so no text becomes a mention, link or @channel."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutralise_discord(text: str) -> str:
    """Discord text is sent as is, with `allowed_mentions=DISCORD_ALLOWED_MENTIONS`."""
    return text


NEUTRALISERS: Final[dict[str, Callable[[str], str]]] = {
    "twitch": neutralise_twitch,
    "slack": neutralise_slack,
    "discord": neutralise_discord,
}
