"""Moderation in the router's hot path (ARCHITECTURE §12), before command resolution.

`screen(router, work, config)` runs on every `chat_message` of a community that has the
moderation module enabled: it evaluates the message in process (`flask_core.moderation`)
against a cached copy of the community's rules — `GET /moderation/api/v1/communities/
{id}/rules`, in the shared cache with its local layer (key `moderation:rules:{id}`, which
the moderation service invalidates over pub/sub on every change), compiled once per
version — so a message costs no call and no database read. The fast path reads only a
local version mark (`version_key`, dropped by the same invalidation) and reuses the
compiled rules while it matches. A match finishes the event
with one `moderation` response (delete / timeout / warn, escalated per user through
`flask_core.moderation.Strikes`, in Redis so every replica counts the same offences),
which the collector carries out; the message is not run as a command. A record of each
match is posted to the moderation service in batches (`POST /moderation/api/v1/log:batch`,
deduplicated there by event id), off the hot path.

When the moderation service cannot be read, the community is left unmoderated for
UNAVAILABLE_PAUSE seconds and then asked again (never once per message).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from flask_core import metrics
from flask_core.errors import DependencyUnavailable
from flask_core.logging import get_logger
from flask_core.message_limits import fit
from flask_core.moderation import History, Message, Rules, Strikes, compile_rules, escalate, evaluate

from . import dispatch
from .communities import load_config
from .registry import ROUTER

if TYPE_CHECKING:
    from .service import Router, Work

log = get_logger(__name__)
MODERATION = "moderation"
UNAVAILABLE_PAUSE = 10.0
FLUSH_DELAY = 0.2  # seconds records wait to be posted together
MAX_BATCH = 500
MAX_PENDING = 10_000
PERMIT_USE_TTL = 3600.0
MATCHES = metrics.counter("waddlebot_router_moderation_total", "Messages moderated", ("rule", "action"))
SUFFIX = {"warn": " (warning)", "delete": "", "timeout": " (timeout {} s)"}


def cache_key(community_id: int) -> str:
    """Shared with the moderation service (waddlebot_moderation.service.cache_key)."""
    return f"moderation:rules:{community_id}"


def version_key(community_id: int) -> str:
    """The version of the rules this process compiled, kept locally (invalidated with the rules)."""
    return f"moderation:rules-version:{community_id}"


#: How long the local version mark is trusted without asking the shared cache again.
VERSION_TTL = 30.0


class Moderator:
    """One router's moderation state: compiled rules, recent messages, pending records."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.strikes = Strikes(router.res.redis, router.settings.redis_key_prefix)
        self.history = History()
        self.compiled: dict[int, Rules] = {}
        self.unavailable: dict[int, float] = {}
        self.pending: list[dict[str, Any]] = []
        self.flushing: asyncio.Task[None] | None = None

    async def rules(self, community_id: int, config: dict[str, Any] | None = None) -> Rules | None:
        """The community's compiled rules; None when moderation is off or unreadable."""
        router = self.router
        if config is None:
            config = await load_config(router.res, community_id, router.settings.router_table_ttl)
        if MODERATION not in config["modules"] or MODERATION not in router.registry.manifests:
            return None
        if self.unavailable.get(community_id, 0.0) > time.monotonic():
            return None
        compiled = self.compiled.get(community_id)
        if compiled is not None and router.res.cache.local_get(version_key(community_id)) == compiled.version:
            return compiled  # the fast path: the rules have not changed since they were compiled

        async def load() -> dict[str, Any]:
            response = await router.res.http.for_service(ROUTER).call(
                MODERATION, "GET", f"/moderation/api/v1/communities/{community_id}/rules",
                timeout=router.settings.router_manifest_timeout, retries=0,
            )  # fmt: skip
            if response.status_code != 200:
                raise DependencyUnavailable(f"moderation answered {response.status_code}")
            doc: dict[str, Any] = response.json()
            return doc

        try:
            doc: dict[str, Any] = await router.res.cache.get_or_set(
                cache_key(community_id), load, ttl=router.settings.router_table_ttl, local=True
            )
        except (DependencyUnavailable, ValueError) as exc:
            log.warning("router.moderation_unavailable", community_id=community_id, error=str(exc)[:200])
            self.unavailable[community_id] = time.monotonic() + UNAVAILABLE_PAUSE
            return None
        rules = self.compiled.get(community_id)
        if rules is None or rules.version != int(doc.get("version") or 0):
            try:
                rules = compile_rules(doc)
            except (ValueError, TypeError, KeyError) as exc:  # never block chat on a bad document
                log.error(
                    "router.moderation_rules_unreadable", community_id=community_id, error=str(exc)[:200]
                )
                return None
            if len(self.compiled) > 10_000:
                self.compiled.clear()
            self.compiled[community_id] = rules
        router.res.cache.local_set(version_key(community_id), rules.version, VERSION_TTL)
        return rules

    def record(self, entry: dict[str, Any]) -> None:
        """Queue a log record; one task posts what is queued, in batches."""
        if len(self.pending) >= MAX_PENDING:
            log.warning("router.moderation_log_dropped", community_id=entry["community_id"])
            return
        self.pending.append(entry)
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.create_task(self._flush(), name="router:moderation-log")

    async def _flush(self) -> None:
        pause = FLUSH_DELAY
        while self.pending:
            await asyncio.sleep(pause)
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            router = self.router
            answer = await dispatch.post(
                router.res, router.settings, router.bulkheads, MODERATION, "/moderation/api/v1/log:batch",
                {"records": batch},
            )  # fmt: skip
            if answer is None or answer[0] != 200:
                log.warning("router.moderation_log_failed", records=len(batch))
                self.pending = batch + self.pending  # try again later; the service dedupes
                pause = min(30.0, pause * 2)
            else:
                pause = FLUSH_DELAY


_moderators: WeakKeyDictionary[Router, Moderator] = WeakKeyDictionary()


def moderator(router: Router) -> Moderator:
    found = _moderators.get(router)
    if found is None:
        found = _moderators[router] = Moderator(router)
    return found


def notice(username: str, reason: str, action: str, duration: int | None) -> str:
    """`@user, <reason> (warning)`: plain concatenation, nothing of the user's is expanded."""
    suffix = SUFFIX[action].replace("{}", str(duration)) if action == "timeout" else SUFFIX[action]
    return f"@{username}, {reason}{suffix}."


async def screen(router: Router, work: Work, config: dict[str, Any] | None = None) -> bool:
    """Moderate a chat message of `work.community_id` (resolved, its `config` read by the
    caller); True when it matched (the event is then finished)."""
    event = work.event
    if event.type != "chat_message" or not event.text:
        return False
    community_id = work.community_id
    m = moderator(router)
    rules = await m.rules(community_id, config)
    if rules is None or not rules.active:
        return False
    emotes = event.metadata.get("emotes")
    message = Message(
        event.platform, event.user.platform_user_id, event.user.username, tuple(event.user.roles),
        event.text, emotes if isinstance(emotes, int) else None,
    )  # fmt: skip
    verdict = evaluate(rules, community_id, message, m.history)
    if verdict is None:
        return False
    if verdict.permit is not None and await m.strikes.once(
        f"permit:{community_id}:{verdict.permit}", PERMIT_USE_TTL
    ):
        log.info("router.moderation_permit_used", community_id=community_id, user=event.user.username)
        return False  # `!permit`: this one link goes through
    offences = await m.strikes.offence(community_id, event.user.platform_user_id, rules.window)
    step = escalate(rules, verdict.action, offences)
    response = {
        "type": "moderation",
        "action": step.action,
        "user": event.user.platform_user_id,
        "username": event.user.username,
        "duration": step.duration,
        "reason": verdict.reason,
        "message_id": event.reply.message_id,
        "text": fit(notice(event.user.username, verdict.reason, step.action, step.duration), event.platform),
    }
    work.community_id = community_id
    work.finish("processed", [response], invocation_id=work.invocation_id)
    MATCHES.labels(ROUTER, verdict.rule, step.action).inc()
    log.info(
        "router.moderated", community_id=community_id, platform=event.platform, user=event.user.username,
        rule=verdict.rule, action=step.action, offences=offences,
    )  # fmt: skip
    m.record(
        {
            "community_id": community_id,
            "event_id": event.event_id,
            "platform": event.platform,
            "channel_id": event.channel_id,
            "user_id": event.user.platform_user_id,
            "username": event.user.username.lower(),
            "rule": verdict.rule,
            "action": step.action,
            "duration": step.duration,
            "message": event.text[:2000],
            "at": event.occurred_at.isoformat(),
        }
    )
    return True
