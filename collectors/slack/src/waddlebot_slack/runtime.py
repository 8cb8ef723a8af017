"""What a running Slack collector holds, built at start and torn down at shutdown."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Final

from flask_core.collector import CollectorRuntime, runtime_key
from flask_core.delivery import MAX_LENGTHS, DeliveryService, fixed_rate
from flask_core.outbox import OutboxWorker, open_outbox, router_sender
from flask_core.resources import Resources
from flask_core.supervise import cancel_and_wait

from .service import SlackWebhooks, enriching_sender
from .settings import SlackSettings
from .web_api import SlackApi

PLATFORM: Final = "slack"
RUNTIME_KEY: Final = runtime_key(PLATFORM)


@dataclass(kw_only=True)
class SlackRuntime(CollectorRuntime):
    api: SlackApi
    webhooks: SlackWebhooks
    _tasks: set[asyncio.Task[object]] = field(default_factory=set)

    @classmethod
    def build(cls, res: Resources, settings: SlackSettings) -> SlackRuntime:
        api = SlackApi(res, settings)
        outbox = open_outbox(res, PLATFORM)
        to_router = router_sender(res, PLATFORM, outbox.policy.timeout)
        worker = OutboxWorker(outbox, enriching_sender(api, to_router))
        rate_for = fixed_rate(settings.slack_chat_rate_limit)
        max_len = min(settings.slack_max_message_length, MAX_LENGTHS[PLATFORM])
        senders = {"dm": api.send_dm, "moderation": api.moderate}
        delivery = DeliveryService(
            res, PLATFORM, api.send, rate_for, max_len, settings=settings, senders=senders
        )
        webhooks = SlackWebhooks(res, settings, outbox, api)
        return cls(api=api, webhooks=webhooks, outbox=outbox, worker=worker, delivery=delivery)

    def start(self) -> None:
        """Start draining the outbox and learn the bot's ids (`auth.test`) in the background."""
        super().start()
        task: asyncio.Task[object] = asyncio.create_task(self.api.identity(), name="slack:auth.test")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in list(self._tasks):
            await cancel_and_wait(task)
        await super().stop()

    async def ready(self) -> tuple[bool, str]:
        """The outbox check, with who the bot is (or that `auth.test` failed)."""
        running, detail = await super().ready()
        identity = await self.api.identity()
        who = f"bot {identity.user_id}" if identity else "bot unknown (auth.test failed)"
        return running, f"{detail}, {who}"
