"""The management screens: one row per screen, each proxied to the service that owns it.

A row says where the screen's data lives (`/<owner>/api/v1/communities/{id}/<resource>`,
ARCHITECTURE §12), which operations it has, the role that may read and the role that
may change it, and the models of its items and writes (for a typed OpenAPI). The
routes of `proxy.py` are generated from this table, so a new screen is one row, and
moving commands and modules to the marketplace is a change of `owner` (decision 0070).

`paged=False` marks a service that answers its whole (bounded) list in one key today;
the portal pages it itself with the same `limit/cursor/q/sort` so the SPA sees one shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from flask_core.events import role_at_least

from . import schemas as s

type Op = Literal["list", "get", "create", "update", "delete", "show", "replace"]


@dataclass(frozen=True, slots=True)
class Action:
    """POST `/<screen>/<name>` → the owner's `/<resource>/<path>` (no body), audited; with
    `item=True` POST `/<screen>/<key>/<name>` → `/<resource>/<key>/<path>`. The capability is
    `<screen>:<name>` for `role` and up; `answer` defaults to the screen's `action_answer`."""

    name: str
    role: str
    answer: type[BaseModel] | None = None
    item: bool = False
    path: str = ""  # the owner's segment (default: `name`)
    doc: str = ""  # the route's summary in the OpenAPI
    secret: bool = False  # the answer is a secret (a URL with its token, a link code): not audited

    @property
    def segment(self) -> str:
        return self.path or self.name


@dataclass(frozen=True, slots=True)
class Screen:
    name: str  # the portal path segment: /portal/api/v1/communities/{id}/<name>
    owner: str  # the owning service's prefix
    resource: str  # its path segment under /<owner>/api/v1/communities/{id}/
    ops: tuple[Op, ...] = ("list",)
    item: type[BaseModel] = s.Item
    create: type[BaseModel] | None = None
    update: type[BaseModel] | None = None
    updated: type[BaseModel] | None = None  # the answer to an update (default: `item`)
    update_method: Literal["PATCH", "PUT"] = "PATCH"
    #: The query a delete passes on to the owner (e.g. inventory's `force`), validated here.
    delete_query: type[BaseModel] | None = None
    key: Literal["int", "string", "path"] = "int"  # the item's path converter
    key_field: str = "id"  # the item field the key is (for before/after in the audit)
    view_role: str = "everyone"
    write_role: str = "moderator"
    paged: bool = True
    list_key: str = "items"
    search: tuple[str, ...] = ()  # fields `q` searches when the portal pages (paged=False)
    creator_field: str | None = None  # a create carries the portal user here (`created_by`)
    #: POST `/<name>/<action>` → the owner's `/<resource>/<action>`: (action, lowest role) or an `Action`.
    actions: tuple[tuple[str, str] | Action, ...] = ()
    action_answer: type[BaseModel] = s.Item
    capability: str = field(default="")
    #: Exclusive modules that can serve this screen (§12 Music): the one the community has
    #: enabled does (`owner` stays the default the docs name); none enabled answers 409.
    owners: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.capability:
            object.__setattr__(self, "capability", self.name)

    @property
    def all_actions(self) -> tuple[Action, ...]:
        return tuple(a if isinstance(a, Action) else Action(a[0], a[1]) for a in self.actions)

    @property
    def writes(self) -> tuple[Op, ...]:
        return tuple(op for op in self.ops if op in ("create", "update", "delete", "replace"))

    def capabilities(self, role: str) -> list[str]:
        caps = []
        if role_at_least(role, self.view_role):
            caps.append(f"{self.capability}:view")
        if (self.writes or self.actions) and role_at_least(role, self.write_role):
            caps.append(f"{self.capability}:manage")
        caps += [f"{self.capability}:{a.name}" for a in self.all_actions if role_at_least(role, a.role)]
        return caps


# fmt: off
SCREENS: tuple[Screen, ...] = (
    # The marketplace owns commands and modules (§12, decision 0078): it pages, searches
    # and answers one item itself; a module's settings are checked there and kept by the module.
    Screen("commands", "marketplace", "commands", ("list", "get", "update"), item=s.CommandItem,
           update=s.CommandUpdate, updated=s.CommandUpdated, key="path", key_field="path",
           write_role="broadcaster"),
    Screen("modules", "marketplace", "modules", ("list", "get", "update", "delete"), item=s.ModuleItem,
           update=s.ModuleUpdate, updated=s.ModuleUpdated, update_method="PUT", key="string",
           key_field="name", write_role="broadcaster"),
    Screen("aliases", "alias", "aliases", ("list", "get", "create", "delete"), item=s.AliasItem,
           create=s.AliasCreate, creator_field="created_by", key="string", key_field="name",
           paged=False, search=("name", "text")),
    Screen("quotes", "memories", "quotes", ("list", "get", "create", "delete"), item=s.QuoteItem,
           create=s.QuoteCreate, key_field="number", creator_field="created_by"),
    Screen("bookmarks", "memories", "bookmarks", ("list", "get", "delete"), item=s.BookmarkItem),
    Screen("reminders", "memories", "reminders", ("list", "get", "delete"), item=s.ReminderItem,
           view_role="moderator"),
    Screen("inventory", "inventory", "items", ("list", "get", "create", "update", "delete"),
           item=s.InventoryItem, create=s.InventoryItemCreate, update=s.InventoryItemUpdate,
           delete_query=s.InventoryDeleteQuery),
    Screen("calendar", "calendar", "events", ("list", "get", "create", "update", "delete"),
           item=s.CalendarEvent, create=s.CalendarEventCreate, update=s.CalendarEventUpdate,
           creator_field="created_by"),
    Screen("labels", "labels", "labels", ("list", "create", "update", "delete"),
           create=s.ItemWrite, update=s.ItemWrite),
    Screen("points", "reputation", "leaderboard", ("list",), item=s.LeaderboardItem, key="string",
           key_field="user_id"),
    Screen("ledger", "reputation", "ledger", ("list",), item=s.LedgerItem, capability="points"),
    # Songs: whichever of the two exclusive music modules the community enabled (decision 0082).
    Screen("songs", "youtube_music", "queue", ("list", "delete"), item=s.SongItem,
           owners=("youtube_music", "spotify"), action_answer=s.SongQueue,
           actions=(Action("approve", "moderator", answer=s.SongItem, item=True,
                           doc="Approve a pending request: it joins the queue."),
                    Action("skip", "moderator", answer=s.SongSkipped,
                           doc="Skip the playing song (undo_skip brings it back within undo_seconds)."),
                    Action("undo_skip", "moderator", path="undo-skip",
                           doc="Play the song skipped last again (within the music module's undo window)."))),
    Screen("overlays", "browser_source", "overlays", ("list",), item=s.OverlayItem, key="string",
           key_field="kind", view_role="moderator", write_role="broadcaster",
           actions=(Action("reveal", "moderator", secret=True), Action("rotate", "broadcaster", secret=True),
                    Action("test", "moderator", answer=s.OverlayTested,
                           doc="Show a test alert on the community's alerts overlay.")),
           action_answer=s.OverlayPage),
    Screen("ai", "ai", "settings", ("show", "replace"), item=s.AiSettings, update=s.AiSettingsUpdate,
           update_method="PUT", view_role="moderator", write_role="broadcaster"),
    Screen("members", "community", "members", ("list", "get", "update", "delete"), item=s.Member,
           update=s.MemberUpdate, view_role="moderator", write_role="broadcaster"),
    # The community's platform servers; a one-time code links another (as `!community code`).
    Screen("connections", "community", "entities", ("list", "get"), item=s.Connection,
           view_role="moderator", write_role="broadcaster",
           actions=(Action("code", "broadcaster", answer=s.LinkCode, path="link-code", secret=True,
                           doc="A one-time code that links another platform's server: its owner "
                               "types !community link <code> there."),)),
)
# fmt: on

BY_NAME: dict[str, Screen] = {screen.name: screen for screen in SCREENS}

#: Portal-only capabilities beside the screens': (capability, lowest role).
OWN_CAPABILITIES: tuple[tuple[str, str], ...] = (
    ("dashboard:view", "moderator"),
    ("simulator:use", "moderator"),
    ("audit:view", "moderator"),
)


def capabilities(role: str) -> list[str]:
    """What `role` may do in a community, e.g. `quotes:view`, `commands:manage`."""
    caps = {cap for screen in SCREENS for cap in screen.capabilities(role)}
    caps |= {cap for cap, lowest in OWN_CAPABILITIES if role_at_least(role, lowest)}
    return sorted(caps)
