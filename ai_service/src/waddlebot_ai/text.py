"""What an answer looks like in chat: plain text for Twitch, one message, no command.

- `strip_markdown`: Twitch shows markdown literally, so `**bold**`, `# headings`,
  code fences, `[text](url)` and list bullets become plain text on one line.
- `neutralise`: an answer never starts with a chat command or a platform command
  (`!ban`, `/timeout`, `.mod`), whatever the question asked the model to say, so a
  viewer cannot make the bot run commands through it (the user's text is data).
- `for_chat`: both, then cut to the platform's limit on a word boundary
  (`flask_core.message_limits`).
- `mentions_bot`: whether a chat line addresses the bot (`@waddlebot`, `waddlebot, …`,
  `<@id>`), and the question without the mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_core.message_limits import fit

_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n?(.*?)```", re.S)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_STRIKE = re.compile(r"~~(.+?)~~")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_QUOTE = re.compile(r"^\s{0,3}>\s?", re.M)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.M)
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$", re.M)
_SPACES = re.compile(r"\s+")
_LEADING_COMMAND = re.compile(r"^(?:[\s!/.\\]|#(?=\w))+")


def strip_markdown(text: str) -> str:
    """Markdown → plain text on one line (for Twitch)."""
    text = _FENCE.sub(lambda m: m.group(1), text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _IMAGE.sub(r"\1 (\2)", text)
    text = _LINK.sub(
        lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text
    )
    text = _RULE.sub(" ", text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _BULLET.sub("• ", text)
    text = _BOLD.sub(r"\2", text)
    text = _STRIKE.sub(r"\1", text)
    text = _ITALIC.sub(r"\2", text)
    return _SPACES.sub(" ", text).strip()


def neutralise(text: str) -> str:
    """No leading `!`, `/`, `.`, `#` or `\\`: an answer is never a command."""
    return _LEADING_COMMAND.sub("", text).strip()


def for_chat(text: str, platform: str) -> str:
    """The answer as the platform's chat shows it: one message, never a command."""
    text = strip_markdown(text) if platform in ("twitch", "web") else text.strip()
    return fit(neutralise(text), platform)


def mention_pattern(names: Iterable[str], ids: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for every way a chat line names the bot; None when nothing is configured."""
    parts = [rf"@{re.escape(n)}\b[,:]?" for n in names if n]
    parts += [rf"^\s*{re.escape(n)}\b[,:]" for n in names if n]
    parts += [rf"<@!?{re.escape(i)}(?:\|[^>]*)?>" for i in ids if i]
    return re.compile("|".join(parts), re.I) if parts else None


def mentions_bot(text: str, pattern: re.Pattern[str] | None) -> str | None:
    """The question without the mention when `text` addresses the bot, else None."""
    if pattern is None or not pattern.search(text):
        return None
    question = _SPACES.sub(" ", pattern.sub(" ", text)).strip(" ,:")
    return question or None
