"""The channels the bot serves: whether it moderates each, hence its outbound limit.

The flag comes from Helix `GET /moderation/channels` (`waddlebot twitch subscribe`) and
from the bot's own chat messages, whose badges say whether it is a moderator there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_core.database import is_integrity_error
from flask_core.logging import get_logger
from flask_core.resources import Resources

from .settings import TwitchSettings

log = get_logger(__name__)


def _key(broadcaster_id: str) -> str:
    return f"twitch:bot_is_moderator:{broadcaster_id}"


class Channels:
    def __init__(self, res: Resources, settings: TwitchSettings) -> None:
        self.res = res
        self.settings = settings

    async def rate_for(self, broadcaster_id: str) -> str:
        """The outbound chat limit for a channel: higher where the bot moderates."""
        if await self.bot_is_moderator(broadcaster_id):
            return self.settings.twitch_chat_rate_limit_mod
        return self.settings.twitch_chat_rate_limit

    async def bot_is_moderator(self, broadcaster_id: str) -> bool:
        if broadcaster_id == self.settings.twitch_bot_user_id:
            return True  # the bot's own channel

        async def load() -> bool:
            return await self.res.db.read(_read_flag, broadcaster_id)

        ttl = self.settings.twitch_channel_cache_ttl
        flag: bool = await self.res.cache.get_or_set(_key(broadcaster_id), load, ttl=ttl, local=True)
        return flag

    async def record(self, broadcaster_id: str, is_moderator: bool, login: str | None = None) -> None:
        """Store the flag when it changed (cheap to call on every bot message)."""
        if await self.bot_is_moderator(broadcaster_id) == is_moderator and login is None:
            return
        try:
            await self.res.db.run(_write_flag, broadcaster_id, is_moderator, login)
        except Exception as exc:
            if not is_integrity_error(exc):
                raise
            await self.res.db.run(_write_flag, broadcaster_id, is_moderator, login)  # lost an insert race
        await self.res.cache.invalidate(_key(broadcaster_id))
        log.info("twitch.channel_moderation", broadcaster_id=broadcaster_id, bot_is_moderator=is_moderator)


def _read_flag(db: Any, broadcaster_id: str) -> bool:
    row = db(db.twitch_channels.broadcaster_id == broadcaster_id).select(limitby=(0, 1)).first()
    return bool(row and row.bot_is_moderator)


def _write_flag(db: Any, broadcaster_id: str, is_moderator: bool, login: str | None) -> None:
    values: dict[str, Any] = {
        "bot_is_moderator": is_moderator,
        "updated_at": datetime.now(UTC).replace(tzinfo=None),
    }
    if login:
        values["login"] = login
    t = db.twitch_channels
    if not db(t.broadcaster_id == broadcaster_id).update(**values):
        t.insert(broadcaster_id=broadcaster_id, **values)
