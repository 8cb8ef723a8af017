"""The router's pipeline: dedupe, community, parse, resolve, checks (§12), dispatch."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from flask_core import metrics, service_table
from flask_core.errors import DependencyUnavailable
from flask_core.events import CommandRequest, Event, EventResult, Identity, Status, invocation_id_for
from flask_core.idempotency import Claims, ClaimState
from flask_core.logging import get_logger
from flask_core.resources import Resources
from flask_core.settings import parse_rate

from . import accounts, aliases, builtins, checks, dispatch, live, moderation
from .communities import DEMO_SERVER, load_config, resolve_community, with_portal_roles
from .parsing import Match, longest_match, parse
from .registry import ROUTER, CommandSpec, ModuleRegistry
from .sessions import Sessions
from .settings import RouterSettings

log = get_logger(__name__)
EVENTS = metrics.counter("waddlebot_router_events_total", "Events by type and status", ("type", "status"))
COMMAND_TYPES = ("chat_message", "slash_command")
PLATFORMS_WITHOUT_ADMIN = ("twitch", "discord", "slack")
#: `metadata` field of a `web` event naming its community (communities.resolve_community);
#: kept only when the portal sends it (routes._trusted), so no other caller can pick one.
TRUSTED_COMMUNITY = "community_id"
#: Core services' commands and subscriptions are always on (§11): never per community.
CORE_MODULES = frozenset(s.prefix for s in service_table.SERVICES if s.kind == "core" and s.serves_commands)


@dataclass(slots=True)
class Work:
    """One event on its way through the pipeline."""

    event: Event
    result: EventResult | None = None
    community_id: int = 0
    match: Match[CommandSpec] | None = None
    invocation_id: str = field(init=False)
    exempt: bool = False  # moderator or broadcaster: no cooldowns, no per-user limit
    settings: dict[str, Any] = field(default_factory=dict)  # the community's (cached)
    identity: Identity | None = None  # the asker's internal user, when identity answers
    charged: bool = False  # its cost was debited (refunded if the module fails)
    started: float = field(default_factory=time.perf_counter)
    _target: dispatch.ReplyTarget | None = None

    def __post_init__(self) -> None:
        # Derived from the event id: a reprocessed event reuses its module records and
        # delivery keys, so it is never answered twice (§11).
        self.invocation_id = invocation_id_for(self.event.event_id)

    def target(self) -> dispatch.ReplyTarget:
        """Where its answers go (built once: the session and the delivery both need it)."""
        if self._target is None:
            self._target = dispatch.ReplyTarget.of(self.event)
        return self._target

    def finish(self, status: Status, responses: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        self.result = EventResult(
            event_id=self.event.event_id,
            status=status,
            responses=responses or [],
            **extra,
        )


@dataclass(slots=True)
class _Table:
    """A community's command table and the configuration it was built from."""

    generation: str
    modules: list[str]
    overrides: dict[str, Any]
    table: dict[str, CommandSpec]


class Router:
    def __init__(self, res: Resources, settings: RouterSettings, registry: ModuleRegistry) -> None:
        self.res = res
        self.settings = settings
        self.registry = registry
        self.claims = Claims(res.redis, prefix=settings.redis_key_prefix, namespace="router")
        self.sessions = Sessions(res, settings.router_session_ttl)
        self.user_limit = parse_rate(settings.router_user_rate_limit)
        self.community_limit = parse_rate(settings.router_community_rate_limit)
        self.bulkheads = dispatch.Bulkheads(settings.router_module_concurrency, registry.budget)
        self._tables: dict[int, _Table] = {}  # the command table of each community, in memory

    async def aclose(self) -> None:
        """Stop the work that outlives a request (identity look-ups nobody waits for)."""
        await accounts.cancel_background(self)

    # --- one event -------------------------------------------------------------

    async def handle(self, event: Event) -> EventResult:
        """Process one event; router failures raise DependencyUnavailable (503, retry)."""
        work = Work(self._sanitise(event))
        if self._is_own_message(work.event):
            work.finish("ignored")
        else:
            state = await self.claims.claim(work.event.event_id, self.settings.router_claim_ttl)
            if state is ClaimState.IN_FLIGHT:
                # Another copy is being processed, or its process died holding the claim:
                # only a finished event is a duplicate. 503 → the outbox tries again later.
                raise DependencyUnavailable("this event is being processed", details={"retry": True})
            if state is ClaimState.DONE:
                work.finish("duplicate")
            else:
                try:
                    await self._process(work)
                    await self.deliver(work)
                    await self.claims.done(work.event.event_id, self.settings.router_done_ttl)
                except BaseException:
                    await self.claims.release(work.event.event_id)
                    raise
        assert work.result is not None
        record(work)
        return work.result

    def _sanitise(self, event: Event) -> Event:
        if event.platform in PLATFORMS_WITHOUT_ADMIN and "admin" in event.user.roles:
            user = event.user.model_copy(update={"roles": [r for r in event.user.roles if r != "admin"]})
            return event.model_copy(update={"user": user})
        return event

    def _is_own_message(self, event: Event) -> bool:
        match event.platform:
            case "twitch":
                bot = self.settings.twitch_bot_user_id
                return bool(bot) and event.user.platform_user_id == bot
            case "slack":
                return bool(event.metadata.get("bot_id"))
            case _:
                return False

    async def deliver(self, work: Work) -> None:
        """Every answer — module text, refusal, limit notice — goes back to its chat.

        DependencyUnavailable when the collector could not store it: the event is then not
        done, and the collector's outbox sends it again (nothing runs twice, §11).
        """
        if work.result is not None and work.result.responses:
            await dispatch.deliver(self.res, work.target(), work.invocation_id, work.result.responses)
            if work.event.reply.kind != "inline":  # a private answer never shows in an HTTP answer
                work.result.responses, left_out = dispatch.without_private(work.result.responses)
                work.result.private = left_out or None
        live.offer(self.res, work)  # the dashboard's live feed: buffered, no I/O (flask_core.feed)

    async def _process(self, work: Work) -> None:
        await self.resolve(work)
        if work.result is not None:
            return
        if work.match is None:
            await self.fan_out(work)
            return
        await self.permit(work)
        if work.result is None:
            await self.check_limits([work])
        if work.result is None:
            await self.charge(work)
        if work.result is None:
            await self.run_command(work)

    # --- stages (shared by the single and the batch path) -----------------------

    async def resolve(self, work: Work) -> None:
        """Community, moderation, then the command: reserved → enabled modules → aliases → ignored.

        The community's configuration is read once per event here (cached) and handed to
        moderation and the command table, instead of being read again by each.
        """
        event = work.event
        # `web` never provisions (§12), except the `web:demo` community `waddlebot chat`
        # talks to by default outside prod (made at start in dev, on first use in test).
        demo = event.platform == "web" and event.server_id == DEMO_SERVER and self.settings.env != "prod"
        community_id = await resolve_community(
            self.res, event, self.settings.default_modules, self.settings.router_table_ttl,
            provision=True if demo else None,
        )  # fmt: skip
        if community_id is None:  # a `web` server without a community (§12)
            work.finish("ignored")
            return
        work.community_id = community_id
        if event.type not in COMMAND_TYPES:
            return
        config = await load_config(self.res, work.community_id, self.settings.router_table_ttl)
        if await moderation.screen(self, work, config):  # §12: every chat message, before commands
            return
        work.settings = config.get("settings", {})
        parsed = parse(_with_prefix(event.text, work.settings.get("command_prefix") or "!"))
        if parsed is None:
            return
        if parsed.sigil == "#":  # community-scoped marketplace commands: none are offered yet
            work.finish("ignored")
            return
        await self.registry.wait_loaded()
        table = await self.table(work.community_id, config)
        match = longest_match(parsed, table)
        if match is None:
            match = await aliases.match(self, work.community_id, parsed)
        if match is None or not match.spec.enabled:
            work.finish("ignored")
            return
        work.match = match
        # Roles set in the portal win over the platform's (community, decision 0077; cached).
        work.event = await with_portal_roles(
            self.res, work.community_id, event, self.settings.router_table_ttl
        )
        work.exempt = checks.is_exempt(list(work.event.user.roles), work.settings)

    async def table(self, community_id: int, config: dict[str, Any] | None = None) -> dict[str, CommandSpec]:
        """The community's command table, built once per configuration and kept in memory."""
        if config is None:
            config = await load_config(self.res, community_id, self.settings.router_table_ttl)
        modules, overrides = config["modules"], config["overrides"]
        built = self._tables.get(community_id)
        # The cache hands out the same objects until the configuration changes (shared
        # reads), so in the steady state this is an identity check.
        if (
            built is not None
            and built.generation == self.registry.generation
            and (built.modules is modules or built.modules == modules)
            and (built.overrides is overrides or built.overrides == overrides)
        ):
            built.modules, built.overrides = modules, overrides
            return built.table
        table = self.registry.commands_for(set(modules) | CORE_MODULES)
        for path, values in overrides.items():
            if path in table:
                spec = table[path]
                for name, value in values.items():
                    setattr(spec, name, value)
        for spec in list(table.values()):  # an alias shares its command's spec (and overrides)
            for alias in spec.aliases:
                table.setdefault(alias, spec)
        if len(self._tables) > 10_000:
            self._tables.clear()
        self._tables[community_id] = _Table(self.registry.generation, modules, overrides, table)
        return table

    async def permit(self, work: Work) -> None:
        """Role, then cooldowns (see `checks`)."""
        await checks.permit(self, work)

    async def check_limits(self, works: list[Work]) -> None:
        """Per-user and per-community windows for the works still running; one round trip."""
        await checks.check_limits(self, works)

    async def charge(self, work: Work) -> None:
        """Points cost, the last check before running."""
        await checks.charge(self, work)

    async def run_command(self, work: Work) -> None:
        if work.match is None:
            return
        if work.match.spec.module == ROUTER:
            responses = await builtins.answer(self, work)
            work.finish("processed", responses, invocation_id=work.invocation_id)
            return
        if work.match.spec.alias:
            await aliases.run(self, work)
            return
        await self.identify([work])
        request = self.command_request(work)
        await self.sessions.put_many([self.session_context(work)])
        outcome = await dispatch.invoke(
            self.res, self.settings, self.bulkheads, request, work.match.spec.module
        )
        await self.complete(work, outcome)

    async def identify(self, works: list[Work], wait: float | None = None) -> None:
        """Fill each command's identity (cached; None when identity cannot say in `wait` s)."""
        missing = [w for w in works if w.identity is None]
        found = await accounts.identify_many(self, [w.event for w in missing], wait)
        for w, identity in zip(missing, found, strict=True):
            w.identity = identity

    async def complete(self, work: Work, outcome: dispatch.ModuleOutcome) -> None:
        if work.charged and not outcome.ok:  # the module failed: its cost goes back
            assert work.match is not None
            await accounts.refund(self, work.community_id, work.invocation_id)
        work.finish("processed", outcome.responses, pending=outcome.pending, invocation_id=work.invocation_id)

    def command_request(self, work: Work) -> CommandRequest:
        assert work.match is not None
        return CommandRequest(
            event=work.event,
            community_id=str(work.community_id),
            command=work.match.spec.path,  # an alias runs its command's handler
            args=work.match.args,
            args_text=work.match.args_text,
            identity=work.identity,
            invocation_id=work.invocation_id,
        )

    def session_context(self, work: Work) -> dict[str, Any]:
        target = work.target()
        return {
            "invocation_id": work.invocation_id,
            "event_id": work.event.event_id,
            "platform": target.platform,
            "server_id": target.server_id,
            "channel_id": target.channel_id,
            "community_id": work.community_id,
            "reply": target.reply,
            "user": target.user,
        }

    async def fan_out(self, work: Work) -> None:
        """Non-command events go to the modules that subscribe to their type (§4.5)."""
        config = await load_config(self.res, work.community_id, self.settings.router_table_ttl)
        await self.registry.wait_loaded()
        modules = self.registry.subscribers(work.event.type, set(config["modules"]) | CORE_MODULES)
        if not modules:
            work.finish("ignored")
            return
        event = work.event.model_dump(mode="json")
        identity = await accounts.identify(self, work.event)

        async def send(module: str) -> list[dict[str, Any]]:
            body = {
                "event": event,
                "community_id": str(work.community_id),
                "invocation_id": invocation_id_for(work.event.event_id, module),
                "identity": identity.model_dump(mode="json") if identity is not None else None,
            }
            answer = await dispatch.post(
                self.res, self.settings, self.bulkheads, module, f"/{module}/api/v1/events", body
            )
            if answer is None or answer[0] != 200:
                log.warning("router.fanout_failed", module=module)
                return []
            try:
                return dispatch.validated_responses(answer[1])
            except ValidationError as exc:
                log.warning("router.module_bad_answer", module=module, error=str(exc)[:300])
                return []

        answers = await asyncio.gather(*(send(m) for m in modules))
        responses = [r for answer in answers for r in answer]
        work.finish("processed", responses, invocation_id=work.invocation_id)


def _with_prefix(text: str, prefix: str) -> str:
    """A community's own command prefix reads as `!` (which always works too)."""
    stripped = text.lstrip()
    if prefix != "!" and stripped.startswith(prefix) and not stripped.startswith("#"):
        return "!" + stripped[len(prefix) :]
    return text


def record(work: Work) -> None:
    """Count the event; one info line per handled command (who, what, outcome; no text)."""
    assert work.result is not None
    EVENTS.labels(ROUTER, work.event.type, work.result.status).inc()
    if work.match is not None:
        event = work.event
        log.info(
            "router.command",
            platform=event.platform,
            channel=event.channel_id,
            user=event.user.username,
            command=work.match.spec.path,
            status=work.result.status,
            duration_ms=round((time.perf_counter() - work.started) * 1000, 1),
        )
