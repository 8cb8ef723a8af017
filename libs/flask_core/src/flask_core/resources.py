"""Resources: the handles a process shares (DAL, Redis, cache, limiter, HTTP client)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from .cache import Cache
from .database import AsyncDAL
from .http import HttpClient
from .logging import get_logger
from .ratelimit import RateLimiter
from .settings import CoreSettings

log = get_logger(__name__)


def open_redis(url: str, max_connections: int = 200) -> Redis:
    """A client whose pool waits for a free connection (redis-py's default pool raises)."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=5,
        socket_connect_timeout=2,
        socket_timeout=2,
        health_check_interval=30,
    )
    return Redis(connection_pool=pool)


@dataclass(slots=True)
class Resources:
    """One per process: the single-process dispatcher opens it and hands it to every app."""

    settings: CoreSettings
    db: AsyncDAL
    redis: Redis | None
    cache: Cache
    limiter: RateLimiter
    http: HttpClient
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def open(cls, settings: CoreSettings, *, local_app: Any = None) -> Resources:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = AsyncDAL(
            settings.effective_database_url(),
            read_uris=settings.database_read_urls,
            pool_size=settings.db_pool_size,
        )
        redis = open_redis(settings.redis_url) if settings.redis_url else None
        cache = Cache(redis, prefix=settings.redis_key_prefix)
        await cache.start()
        limiter = RateLimiter(redis, prefix=settings.redis_key_prefix)
        http = HttpClient(
            settings,
            local_app=local_app,
            service="waddlebot",
            failure_threshold=settings.http_breaker_threshold,
            reset_timeout=settings.http_breaker_reset,
        )
        log.info(
            "resources.opened",
            database="sqlite" if db.is_sqlite else "postgres",
            redis=bool(redis),
        )
        return cls(settings, db, redis, cache, limiter, http)

    def key(self, *parts: str) -> str:
        """A Redis key under this deployment's prefix."""
        return self.settings.redis_key_prefix + ":".join(parts)

    async def close(self) -> None:
        feed = self.extras.pop("flask_core.feed", None)  # flask_core.feed: flush what is buffered
        if feed is not None:
            await feed.aclose()
        await self.http.aclose()
        await self.cache.close()
        if self.redis is not None:
            await self.redis.aclose(close_connection_pool=True)
        await self.db.close()
