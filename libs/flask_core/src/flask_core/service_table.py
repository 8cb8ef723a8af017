"""The service table: every service of ARCHITECTURE §2, its kind, package, port and budget.

This file is the single source for the dispatcher (which installed services to mount),
the router's module discovery (which prefixes serve a manifest), the `<PREFIX>_URL`
settings, the default of `DEFAULT_MODULES`, and later `make fleet`, compose and
Kubernetes (ports and NetworkPolicies from `calls`). A service that is not built yet
is listed all the same: it becomes present when its package is installed (its entry
point in the `waddlebot.services` group), so a later service only needs its folder.
`make service name=<prefix> kind=<kind>` adds a row above the marker line.
`tests/test_service_table.py` fails when a folder, an entry point and this table disagree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Final, Literal

type Kind = Literal["core", "collector", "interaction", "ai"]
KINDS: Final[tuple[Kind, ...]] = ("core", "collector", "interaction", "ai")
ENTRY_POINT_GROUP: Final = "waddlebot.services"

#: Default command time budget (seconds) per kind; a manifest's `command_budget` wins.
KIND_BUDGETS: Final[dict[Kind, float]] = {"core": 5.0, "collector": 5.0, "interaction": 5.0, "ai": 30.0}
#: Fleet ports are allocated in one block per kind (`make service` takes the next free one).
PORT_BLOCKS: Final[dict[Kind, range]] = {
    "ai": range(8101, 8110),
    "collector": range(8110, 8120),
    "interaction": range(8120, 8140),
    "core": range(8140, 8200),
}

#: Groups allowed in `calls` beside plain prefixes (expanded by `callees`).
EVERY_COLLECTOR: Final = "@collectors"
EVERY_MODULE: Final = "@modules"
EVERY_SERVICE: Final = "@all"
_GROUPS: Final = (EVERY_COLLECTOR, EVERY_MODULE, EVERY_SERVICE)


@dataclass(frozen=True, slots=True)
class Service:
    """One row: `prefix` is the first path segment, the `<PREFIX>_URL` and the entry point name."""

    prefix: str
    kind: Kind
    port: int
    calls: tuple[str, ...] = ()  # prefixes (or groups) this service sends requests to
    module: bool | None = None  # serves a manifest the router reads (default: interaction, ai)
    budget: float | None = None  # command time budget (default: KIND_BUDGETS[kind])
    folder: str = ""  # default: from the kind (collectors/<prefix>, interactions/<prefix> …)
    package: str = field(default="")  # default: waddlebot_<prefix>

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.prefix}: unknown kind {self.kind!r}")
        if self.module is None:
            object.__setattr__(self, "module", self.kind in ("interaction", "ai"))
        if self.budget is None:
            object.__setattr__(self, "budget", KIND_BUDGETS[self.kind])
        if not self.folder:
            object.__setattr__(self, "folder", default_folder(self.prefix, self.kind))
        if not self.package:
            object.__setattr__(self, "package", f"waddlebot_{self.prefix}")

    @property
    def distribution(self) -> str:
        """The distribution name (`waddlebot-youtube-music`)."""
        return self.package.replace("_", "-")

    @property
    def serves_commands(self) -> bool:
        return bool(self.module)

    @property
    def command_budget(self) -> float:
        return float(self.budget or KIND_BUDGETS[self.kind])


def default_folder(prefix: str, kind: Kind) -> str:
    """Where a service of this kind lives (ARCHITECTURE §2)."""
    match kind:
        case "collector":
            return f"collectors/{prefix}"
        case "interaction":
            return f"interactions/{prefix}"
        case "ai":
            return "ai_service" if prefix == "ai" else f"ai_services/{prefix}"
        case _:
            return f"core_services/{prefix}"


# fmt: off
SERVICES: Final[tuple[Service, ...]] = (
    Service("router", "core", 8100, calls=(EVERY_COLLECTOR, EVERY_MODULE), folder="router_service"),
    Service("ai", "ai", 8101, calls=("router", "identity")),
    Service("twitch", "collector", 8110, calls=("router",)),
    Service("discord", "collector", 8111, calls=("router",)),
    Service("slack", "collector", 8112, calls=("router",)),
    Service("alias", "interaction", 8120, calls=("router",)),
    Service("shoutout", "interaction", 8121, calls=("router", "twitch")),
    Service("inventory", "interaction", 8122, calls=("router", "labels")),
    Service("calendar", "interaction", 8123, calls=("router",)),
    Service("memories", "interaction", 8124, calls=("router",)),
    Service("youtube_music", "interaction", 8125, calls=("router", "browser_source")),
    Service("spotify", "interaction", 8126, calls=("router", "browser_source")),
    Service("labels", "interaction", 8127, calls=("router",)),
    Service("browser_source", "interaction", 8128, calls=("router", "youtube_music")),
    Service("timers", "interaction", 8129, calls=("router",)),
    Service("moderation", "interaction", 8130, calls=("router",)),
    Service("identity", "core", 8140, module=True, calls=("router", "reputation")),
    Service("community", "core", 8141, module=True, calls=("router", "marketplace")),
    Service("marketplace", "core", 8142, module=True, calls=("router", EVERY_MODULE)),
    Service("reputation", "core", 8143, module=True, calls=("router", "identity")),
    Service("portal", "core", 8144, calls=(EVERY_SERVICE,), folder="core_services/portal_api"),
    Service("gateway_admin", "core", 8145, calls=("identity",)),
    # make service: new rows go above this line
)
# fmt: on

_BY_PREFIX: Final[dict[str, Service]] = {s.prefix: s for s in SERVICES}
PREFIXES: Final[tuple[str, ...]] = tuple(_BY_PREFIX)


def service(prefix: str) -> Service:
    """The row of `prefix`; KeyError when the table has none."""
    return _BY_PREFIX[prefix]


def modules() -> tuple[Service, ...]:
    """Services that serve a manifest the router reads (never collectors, never the router)."""
    return tuple(s for s in SERVICES if s.serves_commands)


def callees(prefix: str) -> tuple[str, ...]:
    """The prefixes `prefix` calls, groups expanded, in table order."""
    wanted = set(service(prefix).calls)
    found = []
    for other in SERVICES:
        if other.prefix == prefix:
            continue
        if (
            other.prefix in wanted
            or EVERY_SERVICE in wanted
            or (EVERY_COLLECTOR in wanted and other.kind == "collector")
            or (EVERY_MODULE in wanted and other.serves_commands)
        ):
            found.append(other.prefix)
    return tuple(found)


@functools.cache
def installed() -> frozenset[str]:
    """Prefixes of the table whose package is installed here (entry point `waddlebot.services`)."""
    names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return frozenset(p for p in PREFIXES if p in names)


#: Left out of the default set: spotify is exclusive with youtube_music, which is in it (§12 Music).
NOT_DEFAULT: Final = frozenset({"spotify"})


def default_modules() -> list[str]:
    """`DEFAULT_MODULES` when unset: every installed interaction and AI module (§11), but NOT_DEFAULT."""
    present = installed()
    return [
        s.prefix
        for s in SERVICES
        if s.kind in ("interaction", "ai") and s.prefix in present and s.prefix not in NOT_DEFAULT
    ]


def check_table(rows: tuple[Service, ...] = SERVICES) -> list[str]:
    """What is wrong with the table itself (duplicates, unknown calls, ports out of block)."""
    problems: list[str] = []
    prefixes = [s.prefix for s in rows]
    for name in sorted({p for p in prefixes if prefixes.count(p) > 1}):
        problems.append(f"{name}: listed twice")
    ports = [s.port for s in rows]
    for port in sorted({p for p in ports if ports.count(p) > 1}):
        problems.append(f"port {port} is used twice")
    for s in rows:
        if s.port not in PORT_BLOCKS[s.kind] and s.prefix != "router":
            problems.append(f"{s.prefix}: port {s.port} is outside the {s.kind} block")
        for target in s.calls:
            if target not in _GROUPS and target not in prefixes:
                problems.append(f"{s.prefix}: calls unknown service {target!r}")
    return problems
