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
    """One line of the dashboard's SSE feed (`event: <kind>`, `data: <this>`)."""

    kind: Literal["simulation", "change"]
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
    """A command as the community sees it (router `CommandSpec`)."""

    path: str
    module: str
    description: str = ""
    usage: str = ""
    role: str
    user_cooldown: float | None = None
    global_cooldown: float | None = None
    cost: int = 0
    enabled: bool = True
    aliases: list[str] = Field(default_factory=list)
    cooldown_message: str | None = None


class CommandUpdate(BaseModel):
    """Role, cooldowns, cost, enabled (an explicit null goes back to the default)."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    user_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    global_cooldown: Annotated[float, Field(ge=0, le=86400)] | None = None
    cost: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    enabled: bool | None = None
    cooldown_message: Annotated[str, Field(max_length=300)] | None = None


class CommandUpdated(CommandUpdate):
    community_id: int
    path: str


class ModuleItem(BaseModel):
    name: str
    version: str
    description: str
    enabled: bool
    commands: list[str]


class ModuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


class ModuleUpdated(BaseModel):
    community_id: int
    module: str
    enabled: bool


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
