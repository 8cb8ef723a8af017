"""The production gateway session on py-cord (imported only when a bot token is set).

py-cord keeps the websocket (identify, heartbeats, resume) and its guild cache; we take
the raw MESSAGE_CREATE payloads (`enable_debug_events`) so the gateway feeds the same
normaliser as the recorded payloads in the tests, with role permissions from the cache.
Intents: guilds, guild messages and message content (a privileged intent to enable in
the developer portal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import discord

from .gateway import MessageHandler
from .normalise import GuildInfo


def guild_info(client: discord.Client, guild_id: Any) -> GuildInfo | None:
    """The owner and role permissions py-cord's cache holds for a guild."""
    try:
        guild = client.get_guild(int(guild_id))
    except (TypeError, ValueError):
        return None
    if guild is None:
        return None
    roles = {str(role.id): int(role.permissions.value) for role in guild.roles}
    return GuildInfo(str(guild.owner_id or ""), roles)


class PycordSession:
    def __init__(self, token: str) -> None:
        self.token = token
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = True
        self.client = discord.Client(intents=intents, enable_debug_events=True)

    def listen(self, on_message: MessageHandler, on_ready: Callable[[], None]) -> None:
        """Feed raw READY/RESUMED and MESSAGE_CREATE payloads to the callbacks."""
        client = self.client

        async def on_socket_raw_receive(payload: Any) -> None:
            match payload.get("t") if isinstance(payload, Mapping) else None:
                case "READY" | "RESUMED":
                    on_ready()
                case "MESSAGE_CREATE":
                    data = payload.get("d") or {}
                    await on_message(data, guild_info(client, data.get("guild_id")))

        client.add_listener(on_socket_raw_receive, "on_socket_raw_receive")

    async def run(self, on_message: MessageHandler, on_ready: Callable[[], None]) -> None:
        self.listen(on_message, on_ready)
        await self.client.start(self.token, reconnect=True)

    async def close(self) -> None:
        if not self.client.is_closed():
            await self.client.close()
