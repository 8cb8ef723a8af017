"""What a running Twitch collector holds, built at start and torn down at shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from flask_core.collector import CollectorRuntime, runtime_key
from flask_core.delivery import DeliveryService
from flask_core.outbox import OutboxWorker, open_outbox
from flask_core.resources import Resources

from .actions import TwitchActions
from .channels import Channels
from .helix import Helix
from .service import EventSubService
from .settings import TwitchSettings

RUNTIME_KEY: Final = runtime_key("twitch")


@dataclass(kw_only=True)
class TwitchRuntime(CollectorRuntime):
    helix: Helix
    channels: Channels
    eventsub: EventSubService

    @classmethod
    def build(cls, res: Resources, settings: TwitchSettings) -> TwitchRuntime:
        helix = Helix(res, settings)
        channels = Channels(res, settings)
        outbox = open_outbox(res, "twitch")
        actions = TwitchActions(helix, settings)
        delivery = DeliveryService(
            res, "twitch", helix.send_chat, channels.rate_for, settings.twitch_max_message_length,
            settings=settings, senders={"dm": actions.dm, "moderation": actions.moderate},
        )  # fmt: skip
        eventsub = EventSubService(res, settings, outbox, channels)
        return cls(
            helix=helix, channels=channels, eventsub=eventsub,
            outbox=outbox, worker=OutboxWorker(outbox), delivery=delivery,
        )  # fmt: skip
