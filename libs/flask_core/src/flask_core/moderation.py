"""Chat moderation rules and their evaluator (ARCHITECTURE §12 "Moderation on the hot path").

The moderation service owns a community's rules and serves them as one JSON document
(`RULES_DEFAULTS` shows every field); the router keeps a cached copy, compiles it once per
version (`compile_rules`) and runs `evaluate` on every chat message in process, before
command resolution. Nothing here does I/O except `Strikes` (Redis, or this process
without it) and `check_pattern` (a subprocess).

    rules = compile_rules(doc)                    # validated, regexes compiled
    verdict = evaluate(rules, message, history)   # None, or the first filter that matched
    step = escalate(rules, verdict.rule, offences) # warn → delete → timeout 10 s → 600 s
    await check_pattern(pattern, timeout=1.0)     # ValueError when it may backtrack badly

Filters (each `enabled`, with its own starting `action` and optional `exempt` roles):
links (with `allow` domains and one-use permits), caps (`ratio` of letters, `min_length`),
symbols (`ratio`, `min_length`), repetition (`max_repeats` of the same message within
`window` s, `max_run` of one character), length (`max`), emotes (`max`, where the platform
marks emotes: Twitch fragments via `metadata.emotes`, Discord `<:name:id>`), words (plain
`words`, whole-word and case-insensitive, and `patterns`, regular expressions saved only
through the REST API after `check_pattern`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import re
import sys
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .errors import DependencyUnavailable
from .sweep import SweepSchedule

FILTERS: Final = ("links", "caps", "symbols", "repetition", "length", "emotes", "words")
ACTIONS: Final = ("warn", "delete", "timeout")
Action = Literal["warn", "delete", "timeout"]
MAX_WORDS: Final = 500
MAX_PATTERNS: Final = 50
MAX_PATTERN_LENGTH: Final = 200
STARTUP_LIMIT: Final = 20.0  # seconds the checking process may take to start

#: Every field of a rules document, with its default (the moderation service merges a
#: community's stored values over these). Filters start off: a streamer opts in.
RULES_DEFAULTS: Final[dict[str, Any]] = {
    "version": 0,
    "exempt_roles": ["moderator", "broadcaster"],
    "escalation": {"timeouts": [10, 600], "window": 3600},
    "permits": {},  # lower-case username → epoch seconds the permit ends
    "filters": {
        "links": {"enabled": False, "action": "delete", "allow": []},
        "caps": {"enabled": False, "action": "warn", "ratio": 0.7, "min_length": 15},
        "symbols": {"enabled": False, "action": "warn", "ratio": 0.5, "min_length": 15},
        "repetition": {"enabled": False, "action": "warn", "max_repeats": 3, "window": 60, "max_run": 15},
        "length": {"enabled": False, "action": "delete", "max": 400},
        "emotes": {"enabled": False, "action": "warn", "max": 10},
        "words": {"enabled": True, "action": "delete", "words": [], "patterns": []},
    },
}

REASONS: Final[dict[str, str]] = {
    "links": "links are not allowed here",
    "caps": "please don't shout (too many capitals)",
    "symbols": "too many symbols",
    "repetition": "please don't repeat yourself",
    "length": "that message is too long",
    "emotes": "too many emotes",
    "words": "that word is not allowed here",
}

# A link: a scheme, `www.`, or a name with a known-looking top-level domain.
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>]+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24})(?::\d{1,5})?(?:/[^\s<>]*)?",
    re.IGNORECASE,
)
_COMMON_TLDS: Final = frozenset({
    "com", "net", "org", "io", "tv", "gg", "me", "co", "uk", "de", "fr", "ru", "info", "biz", "xyz", "app",
    "dev", "ly", "be", "to", "cc", "us", "ca", "eu", "nl", "link", "live", "site", "online", "shop",
    "store", "club", "top", "gl", "sh", "ws", "fm", "am", "la",
})  # fmt: skip
_DISCORD_EMOTE = re.compile(r"<a?:\w{2,32}:\d{15,21}>")
_WORD_CHARS = re.compile(r"\w", re.UNICODE)


# --- compiled rules ------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Filter:
    name: str
    action: Action
    exempt: frozenset[str] | None  # None: the community's exempt roles
    settings: Mapping[str, Any]


@dataclass(slots=True, frozen=True)
class Rules:
    """A community's rules, compiled; cheap to evaluate, rebuilt when `version` changes."""

    version: int
    exempt_roles: frozenset[str]
    filters: tuple[Filter, ...]
    allow: tuple[str, ...]
    words: re.Pattern[str] | None
    patterns: tuple[re.Pattern[str], ...]
    timeouts: tuple[int, ...]
    window: int
    permits: Mapping[str, float]

    @property
    def active(self) -> bool:
        return bool(self.filters)


def merged(doc: Mapping[str, Any] | None) -> dict[str, Any]:
    """`doc` over RULES_DEFAULTS (filters merged one by one); unknown keys are dropped."""
    base: dict[str, Any] = json.loads(json.dumps(RULES_DEFAULTS))
    if not doc:
        return base
    for key in ("version", "exempt_roles", "permits"):
        if key in doc:
            base[key] = doc[key]
    if isinstance(doc.get("escalation"), Mapping):
        base["escalation"].update({k: v for k, v in doc["escalation"].items() if k in base["escalation"]})
    for name, values in (doc.get("filters") or {}).items():
        if name in base["filters"] and isinstance(values, Mapping):
            base["filters"][name].update({k: v for k, v in values.items() if k in base["filters"][name]
                                          or k == "exempt"})  # fmt: skip
    return base


def words_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex for plain words (escaped: a word is never a pattern).

    A word made of word characters matches as a whole word (`ass` does not hit `class`);
    any other word (`f*ck`, `:)`) matches where it appears.
    """
    parts = []
    for word in sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True):
        escaped = re.escape(word)
        if _WORD_CHARS.match(word[0]) and _WORD_CHARS.match(word[-1]):
            escaped = rf"\b{escaped}\b"
        parts.append(escaped)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def compile_rules(doc: Mapping[str, Any] | None) -> Rules:
    """Validate and compile a rules document (see RULES_DEFAULTS)."""
    d = merged(doc)
    filters = []
    for name in FILTERS:
        f = d["filters"][name]
        if not f.get("enabled"):
            continue
        if name == "words" and not (f.get("words") or f.get("patterns")):
            continue
        action: Action = f["action"] if f.get("action") in ACTIONS else "delete"
        exempt = frozenset(f["exempt"]) if isinstance(f.get("exempt"), list) else None
        filters.append(Filter(name, action, exempt, f))
    words = d["filters"]["words"]
    patterns = tuple(re.compile(p, re.IGNORECASE) for p in words.get("patterns") or ())
    escalation = d["escalation"]
    timeouts = tuple(max(1, int(t)) for t in escalation.get("timeouts") or (10, 600))
    return Rules(
        version=int(d.get("version") or 0),
        exempt_roles=frozenset(d.get("exempt_roles") or ()),
        filters=tuple(filters),
        allow=tuple(a.lower().lstrip(".") for a in d["filters"]["links"].get("allow") or ()),
        words=words_pattern(words.get("words") or ()),
        patterns=patterns,
        timeouts=timeouts or (10, 600),
        window=max(1, int(escalation.get("window") or 3600)),
        permits={str(k).lower(): float(v) for k, v in (d.get("permits") or {}).items()},
    )


# --- evaluating ----------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Message:
    """What the evaluator reads of a chat message."""

    platform: str
    user_id: str
    username: str
    roles: tuple[str, ...]
    text: str
    emotes: int | None = None  # counted by the collector where the platform marks them


@dataclass(slots=True, frozen=True)
class Verdict:
    rule: str
    action: Action
    reason: str
    permit: str | None = None  # the permit key this link would use, if the user holds one


@dataclass(slots=True)
class History:
    """Recent messages per (community, user), in this process, for the repetition filter."""

    size: int = 10
    _seen: dict[tuple[int, str], deque[tuple[int, float]]] = field(default_factory=dict)

    def count(self, community_id: int, user_id: str, text: str, window: float, now: float) -> int:
        """Record `text` and answer how many times the user said it within `window` s."""
        key = (community_id, user_id)
        digest = hash(" ".join(text.lower().split()))  # this process only: hash() is enough
        seen = self._seen.get(key)
        if seen is None:
            if len(self._seen) > 50_000:
                self._seen.clear()
            seen = self._seen[key] = deque(maxlen=self.size)
        seen.append((digest, now))
        return sum(1 for d, at in seen if d == digest and now - at <= window)


def is_exempt(rules: Rules, flt: Filter, roles: Iterable[str]) -> bool:
    exempt = flt.exempt if flt.exempt is not None else rules.exempt_roles
    return any(role == "admin" or role in exempt for role in roles)


def links(text: str) -> list[str]:
    """The hosts of what looks like a link in `text` (lower case)."""
    hosts = []
    for m in _LINK.finditer(text):
        raw = m.group(0)
        host = re.sub(r"^(?:https?://)", "", raw, flags=re.IGNORECASE).split("/", 1)[0].split(":", 1)[0]
        host = host.lower().rstrip(".")
        scheme = raw.lower().startswith(("http://", "https://", "www."))
        if scheme or host.rsplit(".", 1)[-1] in _COMMON_TLDS:
            hosts.append(host.removeprefix("www."))
    return hosts


def _allowed(host: str, allow: tuple[str, ...]) -> bool:
    return any(host == a or host.endswith("." + a) for a in allow)


def _ratio(text: str, min_length: int, predicate: Any) -> float:
    chars = [c for c in text if not c.isspace()]
    if len(chars) < min_length:
        return 0.0
    return sum(1 for c in chars if predicate(c)) / len(chars)


def _longest_run(text: str) -> int:
    best = run = 0
    previous = ""
    for c in text:
        run = run + 1 if c == previous and not c.isspace() else 1
        previous = c
        best = max(best, run)
    return best


def _emotes(message: Message) -> int:
    if message.emotes is not None:
        return message.emotes
    if message.platform == "discord":
        return len(_DISCORD_EMOTE.findall(message.text))
    return 0


def _text_without_emotes(message: Message) -> str:
    return _DISCORD_EMOTE.sub("", message.text) if message.platform == "discord" else message.text


def evaluate(
    rules: Rules,
    community_id: int,
    message: Message,
    history: History,
    now: float | None = None,
) -> Verdict | None:
    """The first enabled filter (in FILTERS order) the message breaks, else None."""
    if not rules.filters or not message.text:
        return None
    now = time.time() if now is None else now
    for flt in rules.filters:
        if is_exempt(rules, flt, message.roles):
            continue
        s = flt.settings
        hit: bool
        permit: str | None = None
        match flt.name:
            case "links":
                bad = [h for h in links(message.text) if not _allowed(h, rules.allow)]
                hit = bool(bad)
                ends = rules.permits.get(message.username.lower())
                if hit and ends is not None and ends > now:
                    permit = f"{message.username.lower()}:{ends}"
            case "caps":
                text = _text_without_emotes(message)
                letters = [c for c in text if c.isalpha()]  # "!!!!" is not shouting
                long_enough = len(text.replace(" ", "")) >= int(s.get("min_length", 15))
                hit = (
                    long_enough
                    and bool(letters)
                    and (sum(c.isupper() for c in letters) / len(letters) >= float(s.get("ratio", 0.7)))
                )
            case "symbols":
                text = _text_without_emotes(message)
                ratio = _ratio(text, int(s.get("min_length", 15)), lambda c: not c.isalnum())
                hit = ratio >= float(s.get("ratio", 0.5))
            case "repetition":
                window = float(s.get("window", 60))
                repeats = history.count(community_id, message.user_id, message.text, window, now)
                hit = repeats > int(s.get("max_repeats", 3)) or _longest_run(message.text) > int(
                    s.get("max_run", 15)
                )
            case "length":
                hit = len(message.text) > int(s.get("max", 400))
            case "emotes":
                hit = _emotes(message) > int(s.get("max", 10))
            case "words":
                hit = bool(rules.words and rules.words.search(message.text)) or any(
                    p.search(message.text) for p in rules.patterns
                )
            case _:
                hit = False
        if hit:
            return Verdict(flt.name, flt.action, REASONS[flt.name], permit)
    return None


@dataclass(slots=True, frozen=True)
class Step:
    action: Action
    duration: int | None = None


def ladder(rules: Rules) -> list[Step]:
    """warn → delete → timeout (each of `escalation.timeouts`, 10 s then 600 s by default)."""
    return [Step("warn"), Step("delete"), *(Step("timeout", t) for t in rules.timeouts)]


def escalate(rules: Rules, action: Action, offences: int) -> Step:
    """The step of a user's `offences`-th offence (1-based) for a filter starting at `action`."""
    steps = ladder(rules)
    start = {"warn": 0, "delete": 1, "timeout": 2}[action]
    return steps[min(len(steps) - 1, start + max(0, offences - 1))]


# --- shared state: strikes and one-use permits ---------------------------------------------

_STRIKE_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class Strikes:
    """Offences per user and one-use marks, shared by every router replica through Redis
    (the same semantics in this process without it). Redis errors raise
    DependencyUnavailable: the event is retried, never let through unmoderated by accident."""

    def __init__(self, redis: Redis | None, prefix: str) -> None:
        self.redis = redis
        self.base = f"{prefix}moderation:"
        self._script = redis.register_script(_STRIKE_LUA) if redis is not None else None
        self._memory: dict[str, tuple[int, float]] = {}
        self._sweeps = SweepSchedule(100_000)

    def _sweep(self, now: float) -> None:
        if self._sweeps.due(len(self._memory)):
            self._memory = {k: v for k, v in self._memory.items() if v[1] > now}
            self._sweeps.swept(len(self._memory))

    async def offence(self, community_id: int, user_id: str, window: float) -> int:
        """Count one more offence; the number within the window (the first one starts it)."""
        key = f"{self.base}strikes:{community_id}:{user_id}"
        if self._script is None:
            now = time.monotonic()
            count, expires = self._memory.get(key, (0, 0.0))
            if expires <= now:
                count, expires = 0, now + window
            self._sweep(now)
            self._memory[key] = (count + 1, expires)
            return count + 1
        try:
            return int(await self._script(keys=[key], args=[int(window * 1000)]))
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("moderation state unavailable") from exc

    async def once(self, name: str, ttl: float) -> bool:
        """True the first time `name` is used within `ttl` s (e.g. a permit's one link)."""
        key = f"{self.base}once:{name}"
        if self.redis is None:
            now = time.monotonic()
            current = self._memory.get(key)
            if current is not None and current[1] > now:
                return False
            self._sweep(now)
            self._memory[key] = (1, now + ttl)
            return True
        try:
            return bool(await self.redis.set(key, "1", nx=True, px=int(ttl * 1000)))
        except (RedisError, OSError) as exc:
            raise DependencyUnavailable("moderation state unavailable") from exc


# --- checking patterns before they are saved -----------------------------------------------

_PROBE = r"""
import json, re, sys
pattern, probes = json.loads(sys.stdin.readline())
compiled = re.compile(pattern, re.IGNORECASE)
print("ready", flush=True)
for text in probes:
    compiled.search(text)
print("ok", flush=True)
"""


def _sre() -> tuple[Any, Any]:
    """The standard library's own regex parser (`re._constants`, `re._parser`)."""
    return importlib.import_module("re._constants"), importlib.import_module("re._parser")


def _repeats(tree: Any) -> list[tuple[bool, Any]]:
    """(unbounded, body) of every repeat directly or deeply in a parsed pattern."""
    c, p = _sre()
    found: list[tuple[bool, Any]] = []

    def walk(items: Any) -> None:
        for op, av in items:
            if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                _low, high, body = av
                found.append((high is c.MAXREPEAT or high > 50, body))
                walk(body)
            elif op == c.SUBPATTERN:
                walk(av[-1])
            elif op == c.BRANCH:
                for branch in av[1]:
                    walk(branch)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                walk(av[1])
            elif op == c.ATOMIC_GROUP or isinstance(av, p.SubPattern):
                walk(av)

    walk(tree)
    return found


def _has_branch(c: Any, items: Any) -> bool:
    return any(op == c.BRANCH or (op == c.SUBPATTERN and _has_branch(c, av[-1])) for op, av in items)


def _static_problem(pattern: str) -> str | None:
    """Why a pattern is refused without running it, or None."""
    c, p = _sre()
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"a pattern is at most {MAX_PATTERN_LENGTH} characters"
    try:
        tree = p.parse(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"not a regular expression: {exc}"
    if re.search(r"\\[1-9]|\(\?P=", pattern):
        return "back-references are not allowed"
    for unbounded, body in _repeats(tree):
        if not unbounded:
            continue
        inner = _repeats(body)
        if any(u for u, _ in inner):
            return "nested repetition such as (a+)+ can backtrack catastrophically"
        if _has_branch(c, body):
            return "repeated alternatives such as (a|ab)* can backtrack catastrophically"
    return None


def _probes(pattern: str, length: int) -> list[str]:
    """Inputs that make a backtracking pattern slow: runs of each literal and class the
    pattern uses, each followed by a character that makes the match fail."""
    chars = {c for c in re.sub(r"\\.", "", pattern) if c.isalnum()} | {"a", "1", " ", "x", "!"}
    probes = []
    for ch in sorted(chars):
        probes.append(ch * length + "\x00")
        probes.append((ch + " ") * (length // 2) + "\x00")
    probes.append("ab" * (length // 2) + "\x00")
    return probes


async def check_pattern(pattern: str, *, timeout: float = 1.0, length: int = 4000) -> None:  # noqa: ASYNC109
    """Refuse a pattern that is invalid or may backtrack catastrophically (ValueError).

    Two checks: the parsed pattern must not repeat a repetition (`(a+)+`, `(\\w*)*`) or a
    set of alternatives (`(a|aa)*`), nor use back-references; then the pattern runs in a
    separate Python process against `length`-character inputs built from its own
    characters and must finish within `timeout` seconds (the process is killed if not),
    which also catches polynomial blow-ups such as `\\w*\\w*\\w*x`.
    """
    problem = _static_problem(pattern)
    if problem is not None:
        raise ValueError(problem)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-I", "-c", _PROBE,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps([pattern, _probes(pattern, length)]).encode() + b"\n")
    await proc.stdin.drain()
    proc.stdin.close()
    out, phase = b"", "start"
    try:
        async with asyncio.timeout(STARTUP_LIMIT):  # a busy machine starts Python slowly
            ready = await proc.stdout.readline()
        if ready.strip() == b"ready":
            phase = "search"
            async with asyncio.timeout(timeout):  # only the searches are timed
                out = await proc.stdout.readline()
        await proc.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        if phase == "start":
            raise ValueError("the pattern could not be checked in time; try again") from None
        raise ValueError(
            f"the pattern takes longer than {timeout:g} s on a {length}-character message "
            "(catastrophic backtracking)"
        ) from None
    if proc.returncode != 0 or out.strip() != b"ok":
        raise ValueError("the pattern could not be checked")
