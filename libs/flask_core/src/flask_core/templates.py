"""`$(...)` response templates: values are inserted literally and never re-expanded.

Untrusted text (chat, usernames) is never executed or passed to `str.format`; one
regex pass replaces known variables and leaves unknown ones as they were.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def uses(template: str, name: str) -> bool:
    """True when `template` contains `$(name)` or `$(name ...)` (e.g. to count only when shown)."""
    return any(match.group(1) == name for match in _VAR.finditer(template))


def random_choice(arg: str) -> str:
    """`$(random a|b|c)`: one of the choices, uniformly."""
    choices = [c.strip() for c in arg.split("|") if c.strip()]
    return secrets.choice(choices) if choices else ""


def time_in(arg: str, now: datetime | None = None) -> str:
    """`$(time Europe/Berlin)`: the time there, `HH:MM` with the zone's abbreviation."""
    try:
        zone = ZoneInfo(arg.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return "(unknown time zone)"
    local = (now or datetime.now(UTC)).astimezone(zone)
    return f"{local:%H:%M} {local.tzname() or arg.strip()}"


#: The `$(fn arg)` helpers every template may use.
STANDARD_FUNCTIONS: Mapping[str, Callable[[str], str]] = {"random": random_choice, "time": time_in}
