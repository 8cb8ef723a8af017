"""Song requests shared by youtube_music and spotify: one queue engine, two providers.

Both services serve the same commands (ARCHITECTURE §12, Music): `!sr <query or link>`,
`!sr remove <n>` (moderator), `!queue`, `!song`, `!skip` (a moderator skips; others vote,
`skip_votes` viewers skip), `!wrongsong` (your last request). The rules — per-user
limit, maximum duration, moderator approval, blocklist of channels, words and ids — and
the storage live here once; a service supplies a `Provider` (how a query becomes a
`Song`, what happens when a song is accepted or skipped) and a table prefix:

    queue = SongQueue("youtube_music", provider)
    models=[queue.define_tables]; commands = queue.handlers(); blueprint = queue.blueprint()

Tables `<prefix>_requests`, `<prefix>_settings` and `<prefix>_votes`. Request states:
`pending` (awaits approval) → `queued` → `playing` → `played` | `skipped`; `removed`
(by `!wrongsong`, `!sr remove` or the portal) and `rejected` end a request too. The
current song changes in one unit of work per community (serialised), and every change
pushes `now_playing` (and, for a provider that plays in the overlay, `media`) to
browser_source through `POST /browser_source/api/v1/overlays` (decision 0068).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from pydal import Field
from pydantic import BaseModel
from pydantic import Field as PydanticField
from quart import Blueprint
from quart_schema import validate_querystring, validate_request, validate_response

from .app import error_response
from .app import resources as app_resources
from .auth import require_service
from .database import AsyncDAL, ensure_index, serialize_on
from .errors import NotFound, ServiceError
from .events import CommandRequest, Role, role_at_least
from .logging import get_logger
from .metrics import counter
from .module import Responses, chat
from .openapi import error_responses
from .resources import Resources

log = get_logger(__name__)
REQUESTS = counter("waddlebot_song_requests_total", "Song requests by outcome", ("outcome",))
OPEN = ("pending", "queued")
State = Literal["pending", "queued", "playing", "played", "skipped", "removed", "rejected"]
MAX_QUEUE_SHOWN = 5
#: How long after a skip `POST …/queue/undo-skip` still brings the song back (the portal's
#: Undo stays up as long; a later undo answers 409).
UNDO_SKIP_SECONDS = 30


class SongError(Exception):
    """A request that cannot be served; `text` is said in chat as it is."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True, slots=True)
class Song:
    song_id: str  # a YouTube video id or a Spotify track URI
    title: str
    channel: str  # the YouTube channel or the Spotify artists
    duration: int  # seconds
    url: str
    channel_id: str = ""


@dataclass(slots=True)
class Request:
    id: int
    community_id: int
    song: Song
    user_id: str
    username: str
    state: str
    created_at: datetime


class Provider(Protocol):
    """What a music service adds to the shared queue."""

    #: True: the media overlay plays the queue (YouTube); False: the provider's own player.
    plays_in_overlay: bool

    async def find(self, res: Resources, community_id: int, query: str) -> Song: ...

    async def accepted(self, res: Resources, request: Request) -> None:
        """A request entered the queue (e.g. Spotify: add it to the device's queue)."""

    async def skipped(self, res: Resources, request: Request) -> None:
        """The playing request was skipped (e.g. Spotify: next track on the device)."""

    async def current(self, res: Resources, community_id: int) -> Song | None:
        """What the provider's own player plays now (only asked when not `plays_in_overlay`)."""


class QueueSettings(BaseModel):
    """Per community; the portal edits them (`PUT …/settings`)."""

    user_limit: int = PydanticField(default=3, ge=1, le=50)
    max_duration: int = PydanticField(default=600, ge=10, le=7200)  # seconds
    approval: bool = False
    skip_votes: int = PydanticField(default=3, ge=1, le=1000)
    blocked_channels: list[str] = PydanticField(default_factory=list, max_length=500)
    blocked_words: list[str] = PydanticField(default_factory=list, max_length=500)
    blocked_ids: list[str] = PydanticField(default_factory=list, max_length=500)


class SettingsPatch(BaseModel):
    user_limit: int | None = PydanticField(default=None, ge=1, le=50)
    max_duration: int | None = PydanticField(default=None, ge=10, le=7200)
    approval: bool | None = None
    skip_votes: int | None = PydanticField(default=None, ge=1, le=1000)
    blocked_channels: list[str] | None = PydanticField(default=None, max_length=500)
    blocked_words: list[str] | None = PydanticField(default=None, max_length=500)
    blocked_ids: list[str] | None = PydanticField(default=None, max_length=500)


class RequestOut(BaseModel):
    id: int
    song_id: str
    title: str
    channel: str
    duration: int
    url: str
    requested_by: str
    state: str
    created_at: datetime


class RequestList(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None = None


class Skipped(RequestList):
    """The queue after a skip (playing first), what was skipped and how long it can be undone."""

    skipped: RequestOut | None = None
    undo_seconds: int = UNDO_SKIP_SECONDS


class QueueQuery(BaseModel):
    limit: int = PydanticField(default=20, ge=1, le=100)
    cursor: str | None = PydanticField(default=None, pattern=r"^\d{1,18}$")
    q: str | None = PydanticField(default=None, max_length=100)
    sort: str | None = PydanticField(default=None, pattern=r"^-?(position|created_at)$")
    state: str | None = PydanticField(
        default=None, pattern=r"^(pending|queued|playing|played|skipped|removed)$"
    )


class Ended(BaseModel):
    request_id: int = PydanticField(ge=1)
    outcome: Literal["ended", "failed"] = "ended"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _clean(value: str, limit: int) -> str:
    return " ".join("".join(ch for ch in value if ch.isprintable()).split())[:limit]


def format_duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def define_tables(db: Any, prefix: str) -> None:
    """The queue tables of one music service (`<prefix>_requests`, `_settings`, `_votes`)."""
    requests, settings_table, votes = f"{prefix}_requests", f"{prefix}_settings", f"{prefix}_votes"
    db.define_table(
        requests,
        Field("community_id", "bigint", notnull=True),
        Field("song_id", "string", length=128, notnull=True),
        Field("title", "string", length=300),
        Field("channel", "string", length=300),
        Field("channel_id", "string", length=128),
        Field("duration", "integer"),
        Field("url", "string", length=500),
        Field("user_id", "string", length=200),
        Field("username", "string", length=100),
        Field("state", "string", length=16, notnull=True),
        Field("created_at", "datetime", notnull=True),
        Field("changed_at", "datetime"),
    )
    ensure_index(db, requests, f"{requests}_community_state", ("community_id", "state"))
    db.define_table(
        settings_table,
        Field("community_id", "bigint", notnull=True, unique=True),
        Field("settings", "json"),
        Field("current_song", "string", length=128),  # the last song seen on the provider's player
    )
    db.define_table(
        votes,
        Field("community_id", "bigint", notnull=True),
        Field("request_id", "bigint", notnull=True),
        Field("user_id", "string", length=200, notnull=True),
    )
    ensure_index(db, votes, f"{votes}_unique", ("request_id", "user_id"), unique=True)


@dataclass
class SongQueue:
    """The engine one music service uses; see the module docstring."""

    prefix: str
    provider: Provider
    label: str = "song"
    _tables: dict[str, str] = field(default_factory=dict)

    @property
    def requests(self) -> str:
        return f"{self.prefix}_requests"

    @property
    def settings_table(self) -> str:
        return f"{self.prefix}_settings"

    @property
    def votes(self) -> str:
        return f"{self.prefix}_votes"

    def define_tables(self, db: Any) -> None:
        define_tables(db, self.prefix)

    # --- storage (sync units of work) ----------------------------------------------------

    def _row(self, row: Any) -> Request:
        song = Song(row.song_id, row.title or "", row.channel or "", int(row.duration or 0), row.url or "",
                    row.channel_id or "")  # fmt: skip
        return Request(int(row.id), int(row.community_id), song, row.user_id or "", row.username or "",
                       row.state, row.created_at)  # fmt: skip

    def _settings(self, d: Any, community_id: int) -> QueueSettings:
        table = d[self.settings_table]
        row = d(table.community_id == community_id).select().first()
        return QueueSettings.model_validate((row.settings or {}) if row else {})

    def _put_settings(self, d: Any, community_id: int, patch: dict[str, Any]) -> QueueSettings:
        table = d[self.settings_table]
        merged = QueueSettings.model_validate({**self._settings(d, community_id).model_dump(), **patch})
        table.update_or_insert(table.community_id == community_id, community_id=community_id,
                               settings=merged.model_dump())  # fmt: skip
        return merged

    def _in_state(self, d: Any, community_id: int, *states: str) -> list[Request]:
        t = d[self.requests]
        rows = d((t.community_id == community_id) & t.state.belongs(states)).select(orderby=t.id)
        return [self._row(r) for r in rows]

    def _playing(self, d: Any, community_id: int) -> Request | None:
        found = self._in_state(d, community_id, "playing")
        return found[0] if found else None

    def _set(self, d: Any, request_id: int, state: str) -> None:
        d(d[self.requests].id == request_id).update(state=state, changed_at=_now())

    def _add(self, d: Any, community_id: int, song: Song, user_id: str, username: str,
             settings: QueueSettings) -> tuple[Request, int, bool]:  # fmt: skip
        """Insert a request (limit checked under the community's lock): (it, position, started)."""
        serialize_on(d, self.requests, community_id)
        t = d[self.requests]
        mine = d((t.community_id == community_id) & (t.user_id == user_id) & t.state.belongs(OPEN)).count()
        if mine >= settings.user_limit:
            raise SongError(
                f"You already have {mine} requests in the queue (the limit is {settings.user_limit})."
            )
        state = "pending" if settings.approval else "queued"
        new_id = t.insert(
            community_id=community_id, song_id=song.song_id, title=song.title[:300],
            channel=song.channel[:300], channel_id=song.channel_id[:128], duration=song.duration,
            url=song.url[:500], user_id=user_id, username=username, state=state,
            created_at=_now(), changed_at=_now(),
        )  # fmt: skip
        started = False
        if state == "queued" and self.provider.plays_in_overlay and self._playing(d, community_id) is None:
            self._set(d, int(new_id), "playing")
            state, started = "playing", True
        position = len(self._in_state(d, community_id, "queued")) if state == "queued" else 0
        row = d(t.id == new_id).select().first()
        return self._row(row), position, started

    def _advance(self, d: Any, community_id: int, finished: int | None, outcome: str) -> Request | None:
        """End the playing request (`finished`, if it still is) and start the next: the new one."""
        serialize_on(d, self.requests, community_id)
        current = self._playing(d, community_id)
        if current is not None:
            if finished is not None and current.id != finished:
                return None  # a late report of a song that already changed
            self._set(d, current.id, outcome)
            d(d[self.votes].request_id == current.id).delete()
        if not self.provider.plays_in_overlay:
            return None
        queued = self._in_state(d, community_id, "queued")
        if not queued:
            return None
        self._set(d, queued[0].id, "playing")
        queued[0].state = "playing"
        return queued[0]

    def _start_if_idle(self, d: Any, community_id: int) -> Request | None:
        serialize_on(d, self.requests, community_id)
        if not self.provider.plays_in_overlay or self._playing(d, community_id) is not None:
            return None
        queued = self._in_state(d, community_id, "queued")
        if not queued:
            return None
        self._set(d, queued[0].id, "playing")
        queued[0].state = "playing"
        return queued[0]

    def _vote(self, d: Any, community_id: int, request_id: int, user_id: str) -> int:
        t = d[self.votes]
        if d((t.request_id == request_id) & (t.user_id == user_id)).isempty():
            t.insert(community_id=community_id, request_id=request_id, user_id=user_id)
        return int(d(t.request_id == request_id).count())

    def _undo_skip(self, d: Any, community_id: int) -> Request | None:
        """The request skipped last (within `UNDO_SKIP_SECONDS`) plays again now; the current
        one goes back to the front."""
        serialize_on(d, self.requests, community_id)
        t = d[self.requests]
        since = _now() - timedelta(seconds=UNDO_SKIP_SECONDS)
        row = (
            d((t.community_id == community_id) & (t.state == "skipped") & (t.changed_at >= since))
            .select(orderby=~t.changed_at | ~t.id, limitby=(0, 1))
            .first()
        )
        if row is None:
            return None
        current = self._playing(d, community_id)
        if current is not None:
            self._set(d, current.id, "queued")
        self._set(d, int(row.id), "playing" if self.provider.plays_in_overlay else "queued")
        return self._row(d(t.id == row.id).select().first())

    # --- checks -----------------------------------------------------------------------------

    @staticmethod
    def blocked(song: Song, query: str, settings: QueueSettings) -> str | None:
        """Why the blocklist refuses this song (None: it does not)."""
        if song.song_id in settings.blocked_ids or any(b and b in song.song_id for b in settings.blocked_ids):
            return "That song is blocked here."
        channels = {c.casefold() for c in settings.blocked_channels}
        if song.channel.casefold() in channels or (
            song.channel_id and song.channel_id.casefold() in channels
        ):
            return "Songs from that channel are blocked here."
        text = f"{song.title} {query}".casefold()
        for word in settings.blocked_words:
            if word and re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", text):
                return "That request contains a blocked word."
        return None

    # --- the overlay ---------------------------------------------------------------------------

    async def announce(self, res: Resources, community_id: int, current: Request | None, key: str) -> None:
        """now_playing (and media to play, for the overlay player) to browser_source, best-effort."""
        payload: dict[str, Any] = {"title": "", "source": self.prefix}
        if current is not None:
            song = current.song
            payload.update(title=song.title, channel=song.channel, requested_by=current.username,
                           url=song.url, duration=song.duration)  # fmt: skip
        items: list[dict[str, Any]] = [{"index": 0, "source": "now_playing", "payload": payload}]
        if self.provider.plays_in_overlay:
            media: dict[str, Any] = {"action": "stop"}
            if current is not None:
                media = {"action": "play", "video_id": current.song.song_id, "request_id": current.id,
                         "title": current.song.title}  # fmt: skip
            items.append({"index": 1, "source": "media", "payload": media})
        invocation = f"{self.prefix}:now_playing:{community_id}:{key}"
        body = {"invocation_id": invocation, "community_id": community_id, "items": items}
        try:
            answer = await res.http.for_service(self.prefix).call(
                "browser_source", "POST", "/browser_source/api/v1/overlays", json=body, timeout=3.0, retries=1
            )
            if answer.status_code >= 300:
                log.warning("music.overlay_refused", status=answer.status_code)
        except Exception as exc:  # the overlay misses one change; chat still works
            log.warning("music.overlay_unavailable", error=repr(exc))

    async def _changed(self, res: Resources, community_id: int, current: Request | None, why: str) -> None:
        await self.announce(
            res, community_id, current, f"{why}:{current.id if current else 0}:{_now().isoformat()}"
        )

    # --- operations (chat and portal) ------------------------------------------------------------

    async def settings(self, db: AsyncDAL, community_id: int) -> QueueSettings:
        found: QueueSettings = await db.read(self._settings, community_id)
        return found

    async def request(
        self, res: Resources, community_id: int, query: str, user_id: str, username: str
    ) -> str:
        query = _clean(query, 300)
        settings = await self.settings(res.db, community_id)
        song = await self.provider.find(res, community_id, query)
        reason = self.blocked(song, query, settings)
        if reason is not None:
            REQUESTS.labels(self.prefix, "blocked").inc()
            return reason
        if song.duration > settings.max_duration:
            REQUESTS.labels(self.prefix, "too_long").inc()
            return (f"That song is {format_duration(song.duration)} long; the limit is "
                    f"{format_duration(settings.max_duration)}.")  # fmt: skip
        added, position, started = await res.db.run(
            self._add, community_id, song, user_id, _clean(username, 100), settings
        )
        REQUESTS.labels(self.prefix, added.state).inc()
        if added.state == "pending":
            return f'"{song.title}" awaits a moderator\'s approval.'
        try:
            await self.provider.accepted(res, added)
        except SongError:
            await self.remove(res, community_id, added.id)
            raise
        if started:
            await self._changed(res, community_id, added, "start")
            return f'Now playing "{song.title}" ({format_duration(song.duration)}).'
        return f'Added "{song.title}" ({format_duration(song.duration)}), #{position} in the queue.'

    async def list_open(self, db: AsyncDAL, community_id: int) -> tuple[Request | None, list[Request]]:
        def read(d: Any) -> tuple[Request | None, list[Request]]:
            return self._playing(d, community_id), self._in_state(d, community_id, "queued")

        found: tuple[Request | None, list[Request]] = await db.read(read)
        return found

    async def skip(self, res: Resources, community_id: int, why: str = "skip") -> Request | None:
        """Skip the playing request: the one that plays now (None: nothing left)."""
        current = await self.now_playing(res, community_id)
        if current is None:
            return None
        return await self.skip_this(res, community_id, current, why)

    async def skip_this(
        self, res: Resources, community_id: int, current: Request, why: str = "skip"
    ) -> Request | None:
        """Skip `current` (what `now_playing` answered): the one that plays now."""
        nxt: Request | None = None
        if current.id:
            nxt = await res.db.run(self._advance, community_id, current.id, "skipped")
        await self.provider.skipped(res, current)
        if not self.provider.plays_in_overlay:
            return await self.observe(res, community_id)  # the player's next song
        await self._changed(res, community_id, nxt, why)
        return nxt

    async def ended(self, res: Resources, community_id: int, request_id: int, outcome: str) -> Request | None:
        state = "played" if outcome == "ended" else "skipped"
        before = (await self.list_open(res.db, community_id))[0]
        if before is None or before.id != request_id:
            return before
        nxt: Request | None = await res.db.run(self._advance, community_id, request_id, state)
        await self._changed(res, community_id, nxt, "ended")
        return nxt

    async def approve(self, res: Resources, community_id: int, request_id: int) -> Request:
        def run(d: Any) -> Request | None:
            t = d[self.requests]
            row = (
                d((t.id == request_id) & (t.community_id == community_id) & (t.state == "pending"))
                .select()
                .first()
            )
            if row is None:
                return None
            self._set(d, request_id, "queued")
            return self._row(d(t.id == request_id).select().first())

        found: Request | None = await res.db.run(run)
        if found is None:
            raise NotFound("no such pending request", details={"request_id": request_id})
        await self.provider.accepted(res, found)
        started: Request | None = await res.db.run(self._start_if_idle, community_id)
        if started is not None:
            await self._changed(res, community_id, started, "start")
        return found

    async def remove(self, res: Resources, community_id: int, request_id: int) -> bool:
        def run(d: Any) -> bool:
            t = d[self.requests]
            query = (t.id == request_id) & (t.community_id == community_id) & t.state.belongs(OPEN)
            return bool(d(query).update(state="removed", changed_at=_now()))

        removed: bool = await res.db.run(run)
        return removed

    async def undo_skip(self, res: Resources, community_id: int) -> Request | None:
        back: Request | None = await res.db.run(self._undo_skip, community_id)
        if back is not None and back.state == "playing":
            await self._changed(res, community_id, back, "undo")
        return back

    # --- chat commands ------------------------------------------------------------------------

    @staticmethod
    def _community(request: CommandRequest) -> int:
        if not request.community_id.isdigit():
            raise SongError("This chat has no community yet.")
        return int(request.community_id)

    @staticmethod
    def _is_mod(request: CommandRequest) -> bool:
        return any(role_at_least(r, "moderator") for r in request.event.user.roles)

    async def cmd_sr(self, res: Resources, request: CommandRequest) -> Responses:
        community_id = self._community(request)
        query = request.args_text.strip()
        if not query:
            return chat(f"Usage: !sr <{self.label} name or link>")
        user = request.event.user
        try:
            return chat(await self.request(res, community_id, query, user.platform_user_id,
                                           user.display_name or user.username))  # fmt: skip
        except SongError as exc:
            return chat(exc.text)

    async def cmd_sr_remove(self, res: Resources, request: CommandRequest) -> Responses:
        community_id = self._community(request)
        arg = request.args_text.strip().lstrip("#")
        if not arg.isdigit() or int(arg) < 1:
            return chat("Usage: !sr remove <position in the queue>")
        _, queued = await self.list_open(res.db, community_id)
        if int(arg) > len(queued):
            return chat(f"There is no #{arg} in the queue.")
        target = queued[int(arg) - 1]
        await self.remove(res, community_id, target.id)
        return chat(f'Removed #{arg} "{target.song.title}".')

    async def cmd_queue(self, res: Resources, request: CommandRequest) -> Responses:
        current, queued = await self.list_open(res.db, self._community(request))
        if not queued:
            return chat(
                "The queue is empty."
                if current is None
                else f'The queue is empty after "{current.song.title}".'
            )
        shown = " | ".join(
            f"{n}. {r.song.title} ({r.username})" for n, r in enumerate(queued[:MAX_QUEUE_SHOWN], 1)
        )
        more = f" | +{len(queued) - MAX_QUEUE_SHOWN} more" if len(queued) > MAX_QUEUE_SHOWN else ""
        return chat(f"Queue: {shown}{more}")

    async def now_playing(self, res: Resources, community_id: int) -> Request | None:
        if not self.provider.plays_in_overlay:
            return await self.observe(res, community_id)
        return (await self.list_open(res.db, community_id))[0]

    def _observe(self, d: Any, community_id: int, song: Song | None) -> tuple[Request | None, bool]:
        """Record what the provider plays: (the request it is — or one for a song nobody
        asked for —, whether it changed since last seen). Serialised per community."""
        serialize_on(d, self.requests, community_id)
        table = d[self.settings_table]
        row = d(table.community_id == community_id).select().first()
        seen = (row.current_song or "") if row else ""
        now_id = song.song_id if song is not None else ""
        changed = seen != now_id
        if changed:
            table.update_or_insert(table.community_id == community_id, community_id=community_id,
                                   current_song=now_id)  # fmt: skip
        current = self._playing(d, community_id)
        if current is not None and current.song.song_id == now_id:
            return current, changed
        if current is not None:
            self._set(d, current.id, "played")
        if song is None:
            return None, changed
        queued = self._in_state(d, community_id, "queued")
        match = [r for r in queued if r.song.song_id == now_id]
        if match:
            for earlier in queued[: queued.index(match[0])]:  # the player's queue is first in, first out
                self._set(d, earlier.id, "played")
            self._set(d, match[0].id, "playing")
            match[0].state = "playing"
            return match[0], changed
        return Request(0, community_id, song, "", "", "playing", _now()), changed

    async def observe(self, res: Resources, community_id: int) -> Request | None:
        """Ask the provider's player what plays; a change is pushed as now_playing."""
        song = await self.provider.current(res, community_id)
        current, changed = await res.db.run(self._observe, community_id, song)
        if changed:
            key = current.song.song_id if current is not None else "none"
            await self.announce(res, community_id, current, f"{key}:{_now().isoformat()}")
        return current

    async def cmd_song(self, res: Resources, request: CommandRequest) -> Responses:
        try:
            current = await self.now_playing(res, self._community(request))
        except SongError as exc:
            return chat(exc.text)
        if current is None:
            return chat("Nothing is playing.")
        song, by = current.song, current.username
        who = f" — requested by {by}" if by else ""
        return chat(f'Now playing: "{song.title}"{who} {song.url}'.strip())

    async def cmd_skip(self, res: Resources, request: CommandRequest) -> Responses:
        community_id = self._community(request)
        current = await self.now_playing(res, community_id)
        if current is None:
            return chat("Nothing is playing.")
        if not self._is_mod(request):
            settings = await self.settings(res.db, community_id)
            votes: int = await res.db.run(
                self._vote, community_id, current.id, request.event.user.platform_user_id
            )
            if votes < settings.skip_votes:
                return chat(f"Skip vote {votes}/{settings.skip_votes}.")
        nxt = await self.skip(res, community_id)
        after = f' Now playing "{nxt.song.title}".' if nxt is not None else ""
        return chat(f'Skipped "{current.song.title}".{after}')

    async def cmd_wrongsong(self, res: Resources, request: CommandRequest) -> Responses:
        community_id = self._community(request)
        user_id = request.event.user.platform_user_id

        def last(d: Any) -> Request | None:
            t = d[self.requests]
            query = (t.community_id == community_id) & (t.user_id == user_id) & t.state.belongs(OPEN)
            row = d(query).select(orderby=~t.id, limitby=(0, 1)).first()
            return self._row(row) if row is not None else None

        mine: Request | None = await res.db.read(last)
        if mine is None:
            current = await self.now_playing(res, community_id)
            if current is not None and current.user_id == user_id:
                await self.skip(res, community_id, "wrongsong")
                return chat(f'Skipped your request "{current.song.title}".')
            return chat("You have no request in the queue.")
        await self.remove(res, community_id, mine.id)
        return chat(f'Removed your request "{mine.song.title}".')

    def handlers(self) -> dict[str, Any]:
        def guarded(handler: Any) -> Any:
            async def run(res: Resources, request: CommandRequest) -> Responses:
                try:
                    answer: Responses = await handler(res, request)
                    return answer
                except SongError as exc:
                    return chat(exc.text)

            return run

        return {
            "sr": guarded(self.cmd_sr), "sr remove": guarded(self.cmd_sr_remove),
            "queue": guarded(self.cmd_queue), "song": guarded(self.cmd_song),
            "skip": guarded(self.cmd_skip), "wrongsong": guarded(self.cmd_wrongsong),
        }  # fmt: skip

    # --- portal and overlay API -----------------------------------------------------------------

    def blueprint(self) -> Blueprint:
        """`/api/v1/communities/{id}/queue` (+ approve, skip, undo-skip, ended) and `…/settings`."""
        bp = Blueprint(f"{self.prefix}_queue", __name__)
        base = "/api/v1/communities/<int:community_id>"

        @bp.errorhandler(SongError)
        async def _refused(exc: SongError) -> Any:  # e.g. Spotify not connected: 409 with the chat text
            return error_response(ServiceError(exc.text, code="conflict", status=409))

        def out(r: Request) -> RequestOut:
            song = r.song
            return RequestOut(
                id=r.id, song_id=song.song_id, title=song.title, channel=song.channel, duration=song.duration,
                url=song.url, requested_by=r.username, state=r.state,
                created_at=r.created_at.replace(tzinfo=UTC),
            )  # fmt: skip

        def check(community_id: int) -> int:
            if not 0 < community_id <= 2**63 - 1:
                raise NotFound("no such community")
            return community_id

        @bp.get(base + "/queue")
        @require_service
        @validate_querystring(QueueQuery)
        @validate_response(RequestList)
        async def list_queue(community_id: int, query_args: QueueQuery) -> RequestList:
            """The playing, pending and queued requests (or those in `state`), in queue order."""
            q = query_args
            states = (q.state,) if q.state else ("playing", "pending", "queued")

            def read(d: Any) -> list[Request]:
                t = d[self.requests]
                query = (t.community_id == check(community_id)) & t.state.belongs(states)
                if q.cursor:
                    query &= (
                        t.id < int(q.cursor) if q.sort and q.sort.startswith("-") else t.id > int(q.cursor)
                    )
                if q.q:
                    query &= t.title.lower().contains(q.q.casefold())
                order = ~t.id if q.sort and q.sort.startswith("-") else t.id
                return [self._row(r) for r in d(query).select(orderby=order, limitby=(0, q.limit + 1))]

            rows: list[Request] = await app_resources().db.read(read)
            more = len(rows) > q.limit
            rows = rows[: q.limit]
            return RequestList(items=[out(r) for r in rows], next_cursor=str(rows[-1].id) if more else None)

        @bp.post(base + "/queue/<int:request_id>/approve")
        @require_service
        @error_responses(409)
        @validate_response(RequestOut)
        async def approve(community_id: int, request_id: int) -> RequestOut:
            return out(await self.approve(app_resources(), check(community_id), request_id))

        @bp.delete(base + "/queue/<int:request_id>")
        @require_service
        @validate_response(RequestList)
        async def remove(community_id: int, request_id: int) -> RequestList:
            if not await self.remove(app_resources(), check(community_id), request_id):
                raise NotFound("no such open request", details={"request_id": request_id})
            _, queued = await self.list_open(app_resources().db, community_id)
            return RequestList(items=[out(r) for r in queued])

        @bp.post(base + "/queue/skip")
        @require_service
        @error_responses(409)
        @validate_response(Skipped)
        async def skip(community_id: int) -> Skipped:
            """Skip the playing song; `undo-skip` brings it back within `undo_seconds`."""
            res = app_resources()
            skipped = await self.now_playing(res, check(community_id))
            if skipped is None:
                raise ServiceError("nothing is playing", code="conflict", status=409)
            await self.skip_this(res, community_id, skipped)
            current, queued = await self.list_open(res.db, community_id)
            skipped.state = "skipped"
            items = [out(r) for r in ([current] if current else []) + queued]
            return Skipped(items=items, skipped=out(skipped) if skipped.id else None)

        @bp.post(base + "/queue/undo-skip")
        @require_service
        @error_responses(409)
        @validate_response(RequestList)
        async def undo_skip(community_id: int) -> RequestList:
            """The song skipped last plays again (within `UNDO_SKIP_SECONDS` of the skip)."""
            if await self.undo_skip(app_resources(), check(community_id)) is None:
                raise ServiceError(
                    f"nothing was skipped in the last {UNDO_SKIP_SECONDS} seconds",
                    code="conflict",
                    status=409,
                    details={"undo_seconds": UNDO_SKIP_SECONDS},
                )
            current, queued = await self.list_open(app_resources().db, community_id)
            return RequestList(items=[out(r) for r in ([current] if current else []) + queued])

        @bp.post(base + "/queue/ended")
        @require_service
        @error_responses(409)
        @validate_request(Ended)
        @validate_response(RequestList)
        async def ended(community_id: int, data: Ended) -> RequestList:
            """The media overlay finished (or could not play) a song: the next one starts."""
            await self.ended(app_resources(), check(community_id), data.request_id, data.outcome)
            current, queued = await self.list_open(app_resources().db, community_id)
            return RequestList(items=[out(r) for r in ([current] if current else []) + queued])

        @bp.get(base + "/settings")
        @require_service
        @validate_response(QueueSettings)
        async def get_settings(community_id: int) -> QueueSettings:
            return await self.settings(app_resources().db, check(community_id))

        @bp.put(base + "/settings")
        @require_service
        @validate_request(SettingsPatch)
        @validate_response(QueueSettings)
        async def put_settings(community_id: int, data: SettingsPatch) -> QueueSettings:
            patch = data.model_dump(exclude_none=True)
            changed: QueueSettings = await app_resources().db.run(
                self._put_settings, check(community_id), patch
            )
            return changed

        return bp


USAGES = {
    "sr": "!sr <song name or link>",
    "sr remove": "!sr remove <position>",
    "queue": "!queue",
    "song": "!song",
    "skip": "!skip",
    "wrongsong": "!wrongsong",
}
DESCRIPTIONS = {
    "sr": "Request a song.",
    "sr remove": "Remove a song from the queue by its position.",
    "queue": "The next songs in the queue.",
    "song": "The song playing now.",
    "skip": "Skip the song (moderators at once; viewers vote).",
    "wrongsong": "Remove your last request.",
}
ROLES: dict[str, Role] = {"sr remove": "moderator"}
