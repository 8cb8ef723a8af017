"""`$(...)` response templates: values are inserted literally and never re-expanded.

Untrusted text (chat, usernames) is never executed or passed to `str.format`; one
regex pass replaces known variables and leaves unknown ones as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_VAR = re.compile(r"\$\(([a-z0-9_]+)(?:\s+([^()]*))?\)")

Resolver = Callable[[str], str | None]


def expand(
    template: str,
    values: Mapping[str, str],
    functions: Mapping[str, Callable[[str], str]] | None = None,
) -> str:
    """Replace `$(name)` with values[name] and `$(fn arg)` with functions[fn](arg), once."""

    def replace(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        if arg is not None:
            fn = (functions or {}).get(name)
            return fn(arg) if fn is not None else match.group(0)
        value = values.get(name)
        return value if value is not None else match.group(0)

    return _VAR.sub(replace, template)


def standard_values(
    *,
    user: str,
    args: list[str],
    args_text: str,
    channel: str = "",
    platform: str = "",
    count: int | None = None,
) -> dict[str, str]:
    """The variables of ARCHITECTURE §4.4 for one invocation."""
    values = {
        "user": user,
        "touser": (args[0].lstrip("@") if args else user),
        "query": args_text,
        "channel": channel,
        "platform": platform,
    }
    if count is not None:
        values["count"] = str(count)
    for index in range(9):
        if index < len(args):
            values[str(index + 1)] = args[index]
    return values
