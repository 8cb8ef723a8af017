"""Chat command grammar (§4.2): `!name args…` and `#name args…`, longest path match."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

MAX_PATH_WORDS = 3
_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
#: shlex.split (posix, no comments) treats only these as special, and only these as spaces.
_SHELL_SPECIAL = re.compile(r"['\"\\]")
_SHELL_SPACE = re.compile(r"[ \t\r\n]+")


@dataclass(slots=True, frozen=True)
class Parsed:
    sigil: str  # "!" (command) or "#" (marketplace command)
    tokens: tuple[str, ...]  # name then arguments, quotes honoured
    body: str  # the raw text after the sigil


@dataclass(slots=True, frozen=True)
class Match[T]:
    path: str
    spec: T
    args: list[str]
    args_text: str


def parse(text: str) -> Parsed | None:
    """Split a chat line into tokens; None when it is not a command."""
    stripped = text.strip()
    if len(stripped) < 2 or stripped[0] not in "!#" or stripped[1].isspace():
        return None
    body = stripped[1:]
    if not _SHELL_SPECIAL.search(body):  # no quotes or escapes: what shlex.split gives, 10x faster
        tokens = [t for t in _SHELL_SPACE.split(body) if t]
    else:
        try:
            tokens = shlex.split(body)
        except ValueError:  # unbalanced quotes: fall back to whitespace
            tokens = body.split()
    if not tokens or not _NAME.match(tokens[0].lower()):
        return None
    return Parsed(stripped[0], tuple(tokens), body)


def _rest_after_words(body: str, count: int) -> str:
    match = re.match(r"\s*" + r"\S+\s*" * count, body)
    return body[match.end() :].strip() if match else ""


def longest_match[S](parsed: Parsed, table: Mapping[str, S]) -> Match[S] | None:
    """The longest command path (up to three words) that the table knows."""
    words = [t.lower() for t in parsed.tokens[:MAX_PATH_WORDS]]
    for size in range(len(words), 0, -1):
        path = " ".join(words[:size])
        spec = table.get(path)
        if spec is not None:
            return Match(
                path=path,
                spec=spec,
                args=list(parsed.tokens[size:]),
                args_text=_rest_after_words(parsed.body, size),
            )
    return None
