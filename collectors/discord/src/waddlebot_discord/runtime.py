"""What a running Discord collector holds, built at start and torn down at shutdown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from flask_core.collector import CollectorRuntime, runtime_key
from flask_core.delivery import MAX_LENGTHS, DeliveryService, fixed_rate
from flask_core.outbox import OutboxWorker, open_outbox
from flask_core.resources import Resources

from .forwarding import interaction_sender
from .gateway import Gateway, GatewaySession, SessionFactory
from .rendezvous import Rendezvous
from .replies import DiscordReplies
from .rest import DiscordApi
from .service import InteractionWebhook
from .settings import DiscordSettings

PLATFORM: Final = "discord"
RUNTIME_KEY: Final = runtime_key(PLATFORM)


def pycord_factory(settings: DiscordSettings) -> SessionFactory | None:
    """py-cord sessions when DISCORD_BOT_TOKEN is set; no gateway otherwise."""
    token = settings.discord_bot_token.get_secret_value() if settings.discord_bot_token else ""
    if not token:
        return None

    def factory() -> GatewaySession:
        from .pycord_session import PycordSession  # py-cord is imported only when used

        return PycordSession(token)

    return factory


@dataclass(kw_only=True)
class DiscordRuntime(CollectorRuntime):
    replies: DiscordReplies
    webhook: InteractionWebhook
    gateway: Gateway | None

    @classmethod
    def build(
        cls, res: Resources, settings: DiscordSettings, gateway_factory: SessionFactory | None = None
    ) -> DiscordRuntime:
        rendezvous = Rendezvous(
            res.redis,
            prefix=settings.redis_key_prefix,
            ttl=settings.discord_interaction_ttl,
            poll=settings.discord_interaction_poll,
        )
        replies = DiscordReplies(DiscordApi(res.http, settings), rendezvous, settings)
        outbox = open_outbox(res, PLATFORM)
        worker = OutboxWorker(outbox, interaction_sender(res, replies, outbox.policy.timeout))
        rate_for = fixed_rate(settings.discord_rate_limit)
        max_len = min(settings.discord_max_message_length, MAX_LENGTHS[PLATFORM])
        senders = {"dm": replies.send_dm, "moderation": replies.moderate}
        delivery = DeliveryService(
            res, PLATFORM, replies.send, rate_for, max_len, settings=settings, senders=senders
        )
        webhook = InteractionWebhook(res, settings, outbox, rendezvous)
        factory = gateway_factory or pycord_factory(settings)
        gateway = Gateway(factory, outbox, settings) if factory is not None else None
        return cls(
            replies=replies, webhook=webhook, gateway=gateway,
            outbox=outbox, worker=worker, delivery=delivery,
        )  # fmt: skip

    def start(self) -> None:
        """Start the outbox worker, and the gateway when there is one."""
        super().start()
        if self.gateway is not None:
            self.gateway.start()

    async def stop(self) -> None:
        if self.gateway is not None:
            await self.gateway.stop()
        await super().stop()
