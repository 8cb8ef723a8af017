"""AI answers for chat: prompts, memory, isolation and the late-answer path. No Quart here.

One `Engine` per process (`res.extras["ai.engine"]`, started with the app):

- **Prompt**: the community's system prompt and persona first, then the remembered turns
  of this (community, channel), then the question as a `user` message. The viewer's text
  is only ever that message's content: never part of a system prompt, never expanded as
  a template, and the answer is neutralised so it cannot be a chat command (`text`).
- **Isolation**: a question waits for a slot of its community (`AI_COMMUNITY_CONCURRENCY`)
  and of the process (`AI_MAX_CONCURRENCY`); more than `AI_MAX_QUEUE` waiting questions
  get the fallback at once. The whole question, queueing included, has
  `AI_ANSWER_BUDGET` seconds. Any provider failure (status, connection, TLS, timeout)
  gives the short fallback text and is counted.
- **Late answers (§4.4a)**: a command call waits `AI_INLINE_WAIT` seconds (a
  `commands:batch` call `AI_BATCH_WAIT`, 0 by default, because the router delivers a batch
  only once all of it is answered); an answer that takes longer is `Accepted` (202) and
  posted once it exists with `POST /router/api/v1/responses`. A repeated invocation
  (the router's retry, a redelivered event) joins the running job instead of asking
  the provider again (`_claim`: SET NX in Redis, so replicas agree).
- **Mentions and greetings** (subscribed events) never answer in the event call: their
  job posts through `POST /router/api/v1/messages` (§11), once per message id.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from flask_core import (
    Accepted,
    CommandRequest,
    DependencyUnavailable,
    Event,
    Resources,
    Responses,
    chat,
    counter,
    gauge,
    get_logger,
    histogram,
)
from flask_core.supervise import cancel_and_wait

from . import communities, text
from .communities import CommunityAi
from .memory import Memory
from .providers import Completion, Message, Options, Provider, ProviderError, Providers
from .settings import AiSettings

log = get_logger(__name__)
PREFIX = "ai"
ENGINE_KEY = "ai.engine"

PROVIDER_LATENCY = histogram(
    "waddlebot_ai_provider_latency_seconds", "AI provider call latency", ("provider", "outcome")
)
TOKENS = counter(
    "waddlebot_ai_tokens_total", "Tokens sent to and received from providers", ("provider", "direction")
)
FALLBACKS = counter("waddlebot_ai_fallbacks_total", "Questions answered with the fallback text", ("reason",))
QUEUE_DEPTH = gauge("waddlebot_ai_queue_depth", "Questions waiting for a provider slot")
IN_FLIGHT = gauge("waddlebot_ai_in_flight", "Provider calls in flight")
LATE = counter("waddlebot_ai_late_answers_total", "Answers posted after a 202", ("kind", "outcome"))

USAGE = "Usage: !{command} <question>"
GREETING_PROMPTS = {
    "follow": "just followed the channel",
    "subscription": "just subscribed to the channel",
    "raid": "just raided the channel",
    "cheer": "just cheered bits in the channel",
}
GREETING_FALLBACKS = {
    "follow": "Thanks for the follow, ",
    "subscription": "Thanks for subscribing, ",
    "raid": "Welcome, raiders! Thanks for the raid, ",
    "cheer": "Thanks for the bits, ",
}


@dataclass(slots=True)
class Answer:
    text: str
    ok: bool
    reason: str = ""


@dataclass(slots=True)
class _Job:
    task: asyncio.Task[Responses]
    late: bool = False


@dataclass(slots=True)
class _Slots:
    semaphore: asyncio.Semaphore
    users: int = 0


@dataclass(slots=True)
class Engine:
    res: Resources
    settings: AiSettings
    providers: Providers = field(init=False)
    memory: Memory = field(init=False)
    mention: re.Pattern[str] | None = field(init=False)
    _process: asyncio.Semaphore = field(init=False)
    _communities: dict[str, _Slots] = field(default_factory=dict)
    _jobs: dict[str, _Job] = field(default_factory=dict)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _claims: dict[str, float] = field(default_factory=dict)
    waiting: int = 0

    def __post_init__(self) -> None:
        s = self.settings
        self.providers = Providers(s)
        self.memory = Memory(self.res.redis, s.redis_key_prefix, s.ai_memory_turns, s.ai_memory_ttl)
        self.mention = text.mention_pattern(s.ai_bot_names, s.ai_bot_ids)
        self._process = asyncio.Semaphore(s.ai_max_concurrency)

    async def close(self) -> None:
        """Let running answers finish for AI_SHUTDOWN_GRACE seconds, then cancel the rest."""
        pending = set(self._tasks)
        if pending and self.settings.ai_shutdown_grace > 0:
            await asyncio.wait(pending, timeout=self.settings.ai_shutdown_grace)
        for task in list(self._tasks):
            await cancel_and_wait(task)
        await self.providers.aclose()

    # --- asking a provider, isolated -------------------------------------------------

    async def ask(
        self,
        community: CommunityAi,
        messages: list[Message],
        *,
        budget: float | None = None,
        options: Options | None = None,
        slot: str | None = None,
    ) -> Completion:
        """One provider call inside the community's (or `slot`'s) and the process's slots
        and the budget. Raises ProviderError (`busy`, `timeout`, `http_500`, `tls`…)."""
        budget = self.settings.ai_answer_budget if budget is None else budget
        provider = self.providers.get(community.provider_name(self.settings))
        deadline = asyncio.get_running_loop().time() + budget
        try:
            async with asyncio.timeout_at(deadline), self.slot(slot or str(community.community_id)):
                left = deadline - asyncio.get_running_loop().time()
                return await self._call(provider, community, messages, left, options)
        except TimeoutError:
            raise ProviderError("timeout") from None

    @contextlib.asynccontextmanager
    async def slot(self, name: str) -> AsyncIterator[None]:
        """Hold a slot of `name` (a community, an API key) and one of the process."""
        if self.waiting >= self.settings.ai_max_queue and self._process.locked():
            raise ProviderError("busy")
        slots = self._community_slots(name)
        self.waiting += 1
        QUEUE_DEPTH.labels(PREFIX).inc()
        queued = True
        try:
            async with slots.semaphore, self._process:
                self.waiting -= 1
                QUEUE_DEPTH.labels(PREFIX).dec()
                queued = False
                yield
        finally:
            if queued:
                self.waiting -= 1
                QUEUE_DEPTH.labels(PREFIX).dec()
            slots.users -= 1
            if slots.users == 0:
                self._communities.pop(name, None)

    def _community_slots(self, community_id: str) -> _Slots:
        slots = self._communities.get(community_id)
        if slots is None:
            slots = self._communities[community_id] = _Slots(
                asyncio.Semaphore(self.settings.ai_community_concurrency)
            )
        slots.users += 1
        return slots

    async def _call(
        self,
        provider: Provider,
        community: CommunityAi,
        messages: list[Message],
        left: float,
        options: Options | None = None,
    ) -> Completion:
        s = self.settings
        if options is None:
            options = Options(community.model_name(s), s.ai_max_tokens, s.ai_temperature, left)
        options.timeout = max(min(options.timeout, left), 0.01)
        started = time.perf_counter()
        outcome = "error"
        IN_FLIGHT.labels(PREFIX).inc()
        try:
            done = await provider.complete(messages, options, stream=s.ai_provider_stream)
            outcome = "ok"
            count_tokens(provider.name, done)
            return done
        except ProviderError as exc:
            outcome = exc.reason
            raise
        except asyncio.CancelledError:
            outcome = "timeout"
            raise
        finally:
            IN_FLIGHT.labels(PREFIX).dec()
            PROVIDER_LATENCY.labels(PREFIX, provider.name, outcome).observe(time.perf_counter() - started)

    async def answer(
        self, community: CommunityAi, platform: str, channel_id: str, question: str, *, remember: bool = True
    ) -> Answer:
        """The chat answer to `question`: system prompt and persona, memory, the question."""
        key = self.memory.key(str(community.community_id), platform, channel_id)
        history = await self.memory.history(key) if remember else []
        messages = [
            *community.system_messages(self.settings),
            *history,
            {"role": "user", "content": question},
        ]
        try:
            done = await self.ask(community, messages)
        except ProviderError as exc:
            FALLBACKS.labels(PREFIX, exc.reason).inc()
            log.warning(
                "ai.fallback", reason=exc.reason, detail=exc.detail[:200], community_id=community.community_id
            )
            return Answer(self.settings.ai_fallback_text, ok=False, reason=exc.reason)
        reply = text.for_chat(done.text, platform)
        if not reply:
            FALLBACKS.labels(PREFIX, "empty").inc()
            return Answer(self.settings.ai_fallback_text, ok=False, reason="empty")
        if remember:
            await self.memory.remember(key, question, done.text.strip())
        return Answer(reply, ok=True)

    # --- jobs: one per invocation, inline or late ------------------------------------

    async def run_once(
        self, invocation_id: str, work: Callable[[], Awaitable[Responses]], wait: float, *, kind: str
    ) -> Responses:
        """The job's answer if it is ready within `wait` seconds; else Accepted, and the
        answer goes to the router later (`_deliver_late`)."""
        job = self._jobs.get(invocation_id)
        if job is None:
            if not await self._claim(invocation_id):
                raise Accepted()  # another replica, or an earlier copy, is answering it
            task = asyncio.create_task(self._job_body(invocation_id, work, kind), name=f"ai:{invocation_id}")
            job = self._jobs[invocation_id] = _Job(task)
            self._track(task)
            task.add_done_callback(lambda _t: self._jobs.pop(invocation_id, None))
        elif job.late:
            raise Accepted()
        if wait > 0:
            done, _ = await asyncio.wait({job.task}, timeout=wait)
            if done:
                return job.task.result()
        if job.task.done():
            return job.task.result()
        job.late = True  # no await since the check: the job sees it when it finishes
        raise Accepted()

    async def _job_body(
        self, invocation_id: str, work: Callable[[], Awaitable[Responses]], kind: str
    ) -> Responses:
        responses = await work()
        job = self._jobs.get(invocation_id)
        if job is not None and job.late:
            await self._deliver_late(invocation_id, responses, kind)
        return responses

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def spawn(self, body: Awaitable[Any], name: str) -> None:
        """Run a background job (a mention's or a greeting's answer) owned by the engine."""

        async def guarded() -> None:
            try:
                await body
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ai.job_failed", job=name)

        self._track(asyncio.create_task(guarded(), name=name))

    async def _claim(self, invocation_id: str) -> bool:
        """True for the first copy of an invocation (kept for the budget and a minute)."""
        ttl = self.settings.ai_answer_budget + 60.0
        key = self.res.key("ai", "job", invocation_id)
        if self.res.redis is None:
            now = time.monotonic()
            if len(self._claims) > 10_000:
                self._claims = {k: v for k, v in self._claims.items() if v > now}
            if self._claims.get(key, 0.0) > now:
                return False
            self._claims[key] = now + ttl
            return True
        try:
            return bool(await self.res.redis.set(key, "1", nx=True, px=int(ttl * 1000)))
        except (RedisError, OSError) as exc:
            log.warning("ai.claim_unavailable", error=str(exc)[:200])
            return True  # answering twice beats not answering: the router refuses a repeat (409)

    async def _deliver_late(self, invocation_id: str, responses: Responses, kind: str) -> None:
        body = {"invocation_id": invocation_id, "responses": responses}
        outcome = "error"
        for attempt in range(4):
            try:
                response = await self.res.http.for_service(PREFIX).call(
                    "router", "POST", "/router/api/v1/responses", json=body, timeout=5.0, retries=0
                )
            except DependencyUnavailable as exc:
                outcome = "unavailable"
                log.warning(
                    "ai.late_answer_retry", invocation_id=invocation_id, error=exc.message, attempt=attempt
                )
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            if response.status_code in (200, 202, 409):  # 409: an earlier attempt got through
                outcome = "delivered"
            else:
                outcome = f"http_{response.status_code}"
                log.warning(
                    "ai.late_answer_refused", invocation_id=invocation_id, status=response.status_code
                )
            break
        LATE.labels(PREFIX, kind, outcome).inc()

    async def post_message(
        self, message_id: str, community_id: str, event: Event, responses: Responses
    ) -> None:
        """A module-initiated message (§11) into the event's chat, once per `message_id`."""
        body = {
            "message_id": message_id,
            "community_id": int(community_id),
            "platform": event.platform,
            "server_id": event.server_id,
            "channel_id": event.channel_id,
            "responses": responses,
        }
        outcome = "error"
        for attempt in range(4):
            try:
                response = await self.res.http.for_service(PREFIX).call(
                    "router", "POST", "/router/api/v1/messages", json=body, timeout=10.0, retries=0
                )
            except DependencyUnavailable as exc:
                outcome = "unavailable"
                log.warning("ai.message_retry", message_id=message_id, error=exc.message, attempt=attempt)
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            outcome = "delivered" if response.status_code == 200 else f"http_{response.status_code}"
            if outcome != "delivered":
                log.warning("ai.message_refused", message_id=message_id, status=response.status_code)
            break
        LATE.labels(PREFIX, message_id.split(":")[1], outcome).inc()


def count_tokens(provider: str, done: Completion) -> None:
    TOKENS.labels(PREFIX, provider, "in").inc(done.prompt_tokens)
    TOKENS.labels(PREFIX, provider, "out").inc(done.completion_tokens)


def engine(res: Resources) -> Engine:
    found = res.extras.get(ENGINE_KEY)
    if not isinstance(found, Engine):
        raise DependencyUnavailable("the AI service is starting")
    return found


def _community_id(request_id: str) -> int:
    return int(request_id) if request_id.isdigit() else 0


# --- handlers (manifest.py wires them) ---------------------------------------------


async def _answer_request(res: Resources, request: CommandRequest, wait: float) -> Responses:
    question = request.args_text.strip()
    if not question:
        return chat(USAGE.replace("{command}", request.command))
    eng = engine(res)
    event = request.event

    async def work() -> Responses:
        try:
            community = await communities.load(res, _community_id(request.community_id))
            found = await eng.answer(community, event.platform, event.channel_id, question)
        except Exception:  # the database, say: the asker still gets an answer
            log.exception("ai.answer_failed", invocation_id=request.invocation_id)
            FALLBACKS.labels(PREFIX, "error").inc()
            return chat(eng.settings.ai_fallback_text)
        return chat(found.text)

    return await eng.run_once(request.invocation_id, work, wait, kind="command")


async def ask_command(res: Resources, request: CommandRequest) -> Responses:
    """`!ai <question>` / `!ask <question>`: inline within AI_INLINE_WAIT (AI_WEB_WAIT for
    `web`), else 202 and the answer later."""
    settings = engine(res).settings
    web = request.event.platform == "web"
    return await _answer_request(res, request, settings.ai_web_wait if web else settings.ai_inline_wait)


async def ask_batch(res: Resources, requests: list[CommandRequest]) -> list[Responses]:
    """A batch of questions: answered inline only if all are ready within AI_BATCH_WAIT.

    The router delivers a batch once every element is answered, so one slow question
    would hold `!help` and `!quote` of the same batch: by default every question of a
    batch is answered late (202 per item), and the rest of the batch goes out at once.
    """
    eng = engine(res)
    wait = eng.settings.ai_batch_wait
    results: list[Responses | None] = [None] * len(requests)
    late = False

    async def one(index: int, request: CommandRequest) -> None:
        nonlocal late
        try:
            results[index] = await _answer_request(res, request, wait)
        except Accepted:
            late = True

    await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
    if late:
        # Those already answered are posted late too: a batch handler answers all or none.
        for request, answered in zip(requests, results, strict=True):
            if answered is not None:
                eng.spawn(eng._deliver_late(request.invocation_id, answered, "command"), "ai:late")
        raise Accepted()
    return [r if r is not None else [] for r in results]


async def on_chat_message(res: Resources, event: Event, community_id: str) -> Responses:
    """A chat line that mentions the bot gets an answer, posted through the messages API."""
    eng = engine(res)
    question = text.mentions_bot(event.text, eng.mention)
    if question is None and event.metadata.get("mentions_bot") is True:
        question = event.text.strip() or None
    if question is None or event.platform == "web" or not community_id.isdigit():
        return []
    community = await communities.load(res, int(community_id))
    if not community.mentions:
        return []
    message_id = f"ai:mention:{_message_key(event)}:1"

    async def job() -> None:
        found = await eng.answer(community, event.platform, event.channel_id, question)
        await eng.post_message(message_id, community_id, event, chat(found.text))

    if await eng._claim(message_id):
        eng.spawn(job(), message_id)
    return []


async def on_greeting_event(res: Resources, event: Event, community_id: str) -> Responses:
    """Follow, subscription, raid, cheer: a greeting when the community turned it on."""
    if event.platform == "web" or not community_id.isdigit():
        return []
    community = await communities.load(res, int(community_id))
    if not community.greets(event.type):
        return []
    eng = engine(res)
    message_id = f"ai:greeting:{_message_key(event)}:1"
    name = (event.user.display_name or event.user.username)[:100]

    async def job() -> None:
        instruction = (
            "Write one short, warm chat message (at most 25 words) thanking the viewer whose "
            f"name is the next message, who {GREETING_PROMPTS[event.type]}. Use their name."
        )
        messages = [*community.system_messages(eng.settings), {"role": "system", "content": instruction},
                    {"role": "user", "content": name}]  # fmt: skip
        try:
            done = await eng.ask(community, messages)
            greeting = text.for_chat(done.text, event.platform)
        except ProviderError as exc:
            FALLBACKS.labels(PREFIX, exc.reason).inc()
            greeting = ""
        if not greeting:
            greeting = GREETING_FALLBACKS[event.type] + name + "!"
        await eng.post_message(message_id, community_id, event, chat(greeting))

    if await eng._claim(message_id):
        eng.spawn(job(), message_id)
    return []


def _message_key(event: Event) -> str:
    """An id part the router accepts (`[A-Za-z0-9_.-]{1,64}`), stable per event."""
    from flask_core.events import invocation_id_for

    return invocation_id_for(event.event_id, PREFIX)
