"""Request and response models of the portal API (quart-schema + pydantic).

Every route has a model, so the OpenAPI (and the SPA's generated client) is typed. The
models of proxied resources mirror the owning services' own schemas (§12): a change
there is a change here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from flask_core.events import Role

Text = Annotated[str, StringConstraints(max_length=200)]


# --- auth and me -------------------------------------------------------------------


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class UserOut(BaseModel):
    id: int
    email: str | None
    display_name: str
    admin: bool


class CommunityOut(BaseModel):
    """A community as the signed-in user sees it: their role and what it lets them do."""

    id: int
    name: str
    role: str
    capabilities: list[str]
    platforms: list[str] = Field(default_factory=list)  # "twitch:1234", "discord:5678"


class MeOut(BaseModel):
    user: UserOut
    communities: list[CommunityOut]


class LoggedOut(BaseModel):
    logged_out: bool


class ListQuery(BaseModel):
    """`limit`, `cursor` (the previous page's `next_cursor`), `q` (search), `sort` (§12; as
    `flask_core.pagination`: 1-100, default 50)."""

    limit: int = Field(default=50, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    q: Text | None = None
    sort: Annotated[str, StringConstraints(pattern=r"^-?[a-z_]{1,40}$")] | None = None


class CommunityPage(BaseModel):
    items: list[CommunityOut]
    next_cursor: str | None = None


class OAuthStartQuery(BaseModel):
    next: Annotated[str, StringConstraints(max_length=500)] | None = None


class OAuthStarted(BaseModel):
    """The consent page to send the browser to (for a client that asked for JSON)."""

    authorize_url: str


class OAuthCallbackQuery(BaseModel):
    code: Annotated[str, StringConstraints(max_length=2000)] | None = None
    state: Annotated[str, StringConstraints(max_length=500)] | None = None
    error: Annotated[str, StringConstraints(max_length=200)] | None = None


# --- audit --------------------------------------------------------------------------


class AuditQuery(BaseModel):
    actor: Text | None = None
    resource: Text | None = None
    action: Text | None = None
    since: datetime | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")] | None = None


class AuditOut(BaseModel):
    id: int
    community_id: int | None
    actor_id: str | None
    actor: str | None
    action: str
    resource: str
    resource_id: str | None
    before: Any = None
    after: Any = None
    ip: str | None
    user_agent: str | None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None = None


# --- simulator and feed -------------------------------------------------------------


class SimUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
    role: Role = "everyone"


class SimulateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    user: SimUser


class BotResponse(BaseModel):
    """One of the bot's responses (§4.4): chat, dm, overlay, error or moderation."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class SimulateOut(BaseModel):
    status: str
    responses: list[BotResponse]
    side_effects: list[BotResponse]  # what is not chat text: overlays, moderation …
    role: Role  # the role the line was sent with (capped at the caller's own)
    invocation_id: str | None = None
    pending: bool = False


class FeedEvent(BaseModel):
    """One line of the dashboard's SSE feed (`event: <kind>`, `data: <this>`).

    `chat` (from the router): `data` = {platform, channel, username, text, command, status,
    responses}; chat text is untrusted and shown as text only.
    """

    id: str  # unique per entry (the SSE `id:`), so a reconnecting client can skip repeats
    kind: Literal["simulation", "change", "chat"]
    community_id: int
    at: datetime
    data: dict[str, Any]


# --- proxied resources (mirroring the owning services' schemas) ---------------------


class Item(BaseModel):
    """An item of a service whose schema the portal does not pin yet (all its fields)."""

    model_config = ConfigDict(extra="allow")


class ItemWrite(BaseModel):
    """A write to such a service, passed on as given (the service validates it)."""

    model_config = ConfigDict(extra="allow")


class CommandItem(BaseModel):
    """A command as the community sees it (marketplace `CommandItem`)."""

    path: str
    module: str
    description: str = ""
    usage: str = ""
    role: str
    user_cooldown: float | None = None
    global_cooldown: float | None = None
    cost: int = 0
    aliases: list[str] = Field(default_factory=list)
    enabled: bool = True
    available: bool = True  # its module is enabled here (or it is a core command)
    cooldown_message: str | None = None


class CommandUpdate(BaseModel):
    """Role, cooldowns, cost, enabled (an explicit null goes back to the default;
    marketplace `CommandPatch`)."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    user_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    global_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    cost: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    enabled: bool | None = None
    cooldown_message: Annotated[str, Field(max_length=300)] | None = None


class CommandUpdated(CommandUpdate):
    """marketplace `CommandPatched`: what was set, for which command of which module."""

    community_id: int
    path: str
    module: str


class ModuleItem(BaseModel):
    """One catalogue module as the community sees it (marketplace `ModuleItem`)."""

    name: str
    description: str = ""
    version: str = ""
    kind: str  # builtin | external
    installed: bool
    enabled: bool
    settings: dict[str, Any] | None  # the module's own settings (None: it did not answer)
    settings_schema: dict[str, Any]  # the manifest's JSON Schema ({}: no settings)
    commands: list[str]
    conflicts_with: list[str]  # cannot be enabled beside these
    exclusive_with: list[str]  # enabling this one switches these off (§12 Music)
    updated_at: str | None = None


class ModuleUpdate(BaseModel):
    """Install (PUT on a module not installed), enable, disable, change settings (marketplace
    `ModuleIn`); settings are checked against the module's schema (422 per field)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None  # left out: as it is (a module not installed yet: enabled)
    settings: dict[str, Any] | None = None  # None: leave the module's settings as they are


class ModuleUpdated(BaseModel):
    """marketplace `InstallationOut`."""

    community_id: int
    module: str
    enabled: bool
    settings: dict[str, Any] | None
    disabled: list[str] = Field(default_factory=list)  # switched off by this change (§12 Music)


class AliasCreate(BaseModel):
    """alias's `AliasIn`: the name without "!" (one word), what it runs or says, who may use
    it and its cooldown; the rules of `!alias add` (loops, limits: 409; bad text: 422)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(pattern=r"^[^!\s]\S*$", min_length=1, max_length=40)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=400)]
    role: Literal["everyone", "regular", "subscriber", "vip", "moderator", "broadcaster"] = "everyone"
    cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None


class AliasItem(BaseModel):
    name: str
    text: str
    role: str
    cooldown: float | None
    uses: int
    command: str | None


class QuoteCreator(BaseModel):
    platform: str
    user_id: str
    username: str


class QuoteItem(BaseModel):
    number: int
    text: str
    author: str | None
    game: str | None
    created_at: datetime
    created_by: QuoteCreator


class QuoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(min_length=1, max_length=400)]
    author: Annotated[str, StringConstraints(max_length=100)] | None = None
    game: Annotated[str, StringConstraints(max_length=200)] | None = None


class BookmarkItem(BaseModel):
    id: int
    url: str
    title: str | None
    created_by: str | None
    created_at: datetime


class ReminderItem(BaseModel):
    id: int
    target: str
    text: str
    recurrence: str | None
    next_at: datetime | None
    set_by: str | None
    platform: str
    channel_id: str


class LeaderboardItem(BaseModel):
    """reputation's leaderboard row."""

    user_id: str
    name: str | None
    balance: int
    position: int


class LedgerItem(BaseModel):
    """reputation's ledger entry (append-only)."""

    id: int
    user_id: str
    amount: int
    reason: str
    ref: str | None
    balance_after: int
    created_at: datetime


class Connection(BaseModel):
    """One of the community's platform servers (community `EntityOut`)."""

    id: int
    community_id: int
    platform: str
    server_id: str
    created_at: str | None = None
    linked_at: str | None = None


class LinkCode(BaseModel):
    """community `LinkCodeOut`: shown once, to the broadcaster; only its hash is stored."""

    code: str
    expires_in: float  # seconds
    command: str  # what the other server's owner types there


class OverlayItem(BaseModel):
    """browser_source's overlay URL (masked in lists; `reveal` shows it)."""

    kind: str
    url: str
    preview_url: str


class OverlayPage(BaseModel):
    items: list[OverlayItem]
    next_cursor: str | None = None
    grace_seconds: float | None = None  # after `rotate`: how long the old URLs keep working


class SongItem(BaseModel):
    """A song request of the community's music module (flask_core.song_queue `RequestOut`)."""

    id: int
    song_id: str
    title: str
    channel: str
    duration: int  # seconds
    url: str
    requested_by: str
    state: Literal["pending", "queued", "playing", "played", "skipped", "removed", "rejected"]
    created_at: datetime


class SongQueue(BaseModel):
    """The queue after a change: the playing song first, then the queued ones."""

    items: list[SongItem]
    next_cursor: str | None = None


class SongSkipped(SongQueue):
    """After a skip: what was skipped and how long `undo_skip` can still bring it back."""

    skipped: SongItem | None = None
    undo_seconds: int


class OverlayTested(BaseModel):
    """After `test`: how many alert items browser_source published (1, or 0 if it had seen it)."""

    published: int


class AiSettings(BaseModel):
    """ai's per-community settings and what it effectively uses."""

    community_id: int
    provider: str | None
    model: str | None
    persona: str | None
    system_prompt: str | None
    mentions: bool
    greetings: dict[str, bool]
    effective: dict[str, str]


class AiSettingsUpdate(BaseModel):
    """The fields given change; `null` goes back to the service default."""

    model_config = ConfigDict(extra="forbid")
    provider: Literal["ollama", "waddleai"] | None = None
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    persona: Annotated[str, StringConstraints(max_length=2000)] | None = None
    system_prompt: Annotated[str, StringConstraints(max_length=4000)] | None = None
    mentions: bool | None = None
    greetings: dict[str, bool | None] | None = None


# --- calendar, inventory, members (mirroring calendar, inventory and community) ---------


class CalendarEvent(BaseModel):
    """calendar's `EventOut`: `starts_at` is the first start (UTC), `next_start` the next."""

    id: int
    community_id: int
    title: str
    starts_at: datetime
    next_start: datetime | None
    tz: str
    max_seats: int | None
    rrule: str | None
    status: Literal["scheduled", "pending", "cancelled"]
    going: int
    waiting: int
    created_at: datetime
    updated_at: datetime


class CalendarEventCreate(BaseModel):
    """calendar's `EventIn` (`!event create`): a `starts_at` without an offset is wall-clock time
    in `tz` (default: the community's zone); reminders post to `platform/server_id/channel_id`,
    or where the community's latest event posts. The portal adds who created it."""

    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(max_length=400)]
    starts_at: datetime
    tz: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    max_seats: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    rrule: Literal["FREQ=WEEKLY"] | None = None
    needs_approval: bool = False
    platform: Literal["twitch", "discord", "slack"] | None = None
    server_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    channel_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class CalendarEventUpdate(BaseModel):
    """calendar's `EventPatch`: `max_seats: null` is no limit (fewer than taken: 409
    `seats_taken`; more: the waitlist moves up), `rrule: null` once; the reminder follows."""

    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(max_length=400)] | None = None
    starts_at: datetime | None = None
    tz: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    max_seats: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    rrule: Literal["FREQ=WEEKLY"] | None = None


class InventoryItem(BaseModel):
    """inventory's `ItemOut`."""

    id: int
    community_id: int
    name: str
    qty: int
    description: str | None = None
    created_at: datetime
    updated_at: datetime


class InventoryItemCreate(BaseModel):
    """inventory's `ItemIn`: add `qty` to the stock of `name` (created when new)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    qty: int = Field(default=1, ge=1, le=1_000_000)


class InventoryDeleteQuery(BaseModel):
    """inventory's `DeleteQuery`: `force=true` also deletes an item someone holds, closing
    the loans (the audit entry says it was forced)."""

    force: bool = False


class InventoryItemUpdate(BaseModel):
    """inventory's `ItemPatch`: rename (a taken name: 409 `name_taken`) and/or describe
    (`null`: none). The stock moves through chat or `…/stock`; deleting a held item is a 409
    `item_held` naming who holds it."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class Member(BaseModel):
    """community's `MemberOut`: `role` is what the bot uses (the override, else the platform's)."""

    id: int
    community_id: int
    platform: str
    platform_user_id: str
    username: str | None = None
    role: str
    platform_role: str
    role_override: str | None = None
    last_seen: str | None = None


class MemberUpdate(BaseModel):
    """community's `MemberPatch`: a role below the broadcaster, or `null` to follow the
    platform again; the broadcaster's own role is a 409 `broadcaster_role`."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["everyone", "regular", "subscriber", "vip", "moderator"] | None
