"""What a running Slack collector holds, built at start and torn down at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Final

from flask_core.delivery import MAX_LENGTHS, DeliveryService
from flask_core.outbox import Outbox, OutboxWorker, open_outbox, router_sender
from flask_core.resources import Resources

from .service import SlackWebhooks, enriching_sender
from .settings import SlackSettings
from .web_api import SlackApi

RUNTIME_KEY: Final = "slack.runtime"
PLATFORM: Final = "slack"


@dataclass(slots=True)
class SlackRuntime:
    api: SlackApi
    outbox: Outbox
    worker: OutboxWorker
    delivery: DeliveryService
    webhooks: SlackWebhooks
    _tasks: set[asyncio.Task[object]] = field(default_factory=set)

    @classmethod
    def build(cls, res: Resources, settings: SlackSettings) -> SlackRuntime:
        api = SlackApi(res, settings)
        outbox = open_outbox(res, PLATFORM)
        to_router = router_sender(res, PLATFORM, outbox.policy.timeout)
        worker = OutboxWorker(outbox, enriching_sender(api, to_router))

        async def rate_for(_channel_id: str) -> str:
            return settings.slack_chat_rate_limit

        max_len = min(settings.slack_max_message_length, MAX_LENGTHS[PLATFORM])
        delivery = DeliveryService(res, PLATFORM, api.send, rate_for, max_len, settings=settings)
        return cls(api, outbox, worker, delivery, SlackWebhooks(res, settings, outbox, api))

    def start(self) -> None:
        """Start draining the outbox and learn the bot's ids (`auth.test`) in the background."""
        self.worker.start()
        task: asyncio.Task[object] = asyncio.create_task(self.api.identity(), name="slack:auth.test")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.worker.stop()
        await self.delivery.close()
