"""The real single-process fleet (`waddlebot_cli.main run`) and its two backends.

Embedded: SQLite under DATA_DIR, in-process cache and limits. Fleet: PostgreSQL and
Redis from TEST_DATABASE_URL / TEST_REDIS_URL, isolated from the test suite by a
schema of its own (PGOPTIONS search_path) and a Redis key prefix of its own, both
removed afterwards.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.servers import Server, ServerError, clean_env, free_port, ready_path
from bench.workload import COMMUNITIES, EVENTS_PATH, chat_event, quote_text
from flask_core.settings import TestRunSettings

#: Rate limits high enough that the bench measures the pipeline, not the limiter.
UNLIMITED = "1000000/30s"


@dataclass(frozen=True, slots=True)
class Backend:
    label: str
    env: dict[str, str]


EMBEDDED = Backend("embedded: SQLite + in-process cache", {})


def fleet_urls() -> tuple[str, str] | None:
    """(database, redis) test URLs when both are set (source var/ci/test-env.sh)."""
    settings = TestRunSettings()
    if not settings.test_database_url:
        return None
    return settings.test_database_url, settings.test_redis_url


@contextmanager
def fleet_backend(run_id: str, db_url: str, redis_url: str) -> Iterator[Backend]:
    """A private PostgreSQL schema and Redis key prefix for one run, dropped afterwards."""
    import psycopg2
    from redis import Redis

    schema, prefix = f"wbbench_{run_id}", f"wbbench:{run_id}:"
    conn = psycopg2.connect(db_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE SCHEMA "{schema}"')
        env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": prefix,
            "PGOPTIONS": f"-c search_path={schema}",
        }
        yield Backend("fleet: PostgreSQL + Redis", env)
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.close()
        client = Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
        finally:
            client.close()


def fleet_server(data_dir: Path, backend: Backend) -> Server:
    port = free_port()
    env = clean_env(
        {
            "ENV": "dev",
            "PORT": str(port),
            "DATA_DIR": str(data_dir),
            "ROUTER_USER_RATE_LIMIT": UNLIMITED,
            "ROUTER_COMMUNITY_RATE_LIMIT": UNLIMITED,
            "ROUTER_DEFAULT_COOLDOWN": "0",  # the bench measures the pipeline, not cooldowns (§12)
            "LOG_LEVEL": "WARNING",
            **backend.env,
        }
    )
    argv = [sys.executable, "-m", "waddlebot_cli.main", "run"]
    return Server("fleet", argv, env, data_dir.parent / f"{data_dir.name}.log", port)


def start_fleet(server: Server) -> float:
    return server.start(ready_path("/readyz"))


def service_token(data_dir: Path) -> str:
    """A fresh bench → router service token (they live 60 s) from the dev secret."""
    from flask_core.auth import mint_service_token

    secret = (data_dir / "secrets" / "internal_jwt_secret").read_text(encoding="utf-8").strip()
    return mint_service_token(secret, "bench", "router")


def seed(server: Server, data_dir: Path, run_id: str) -> None:
    """One `!quote add` per community, as a moderator, so `!quote` reads a real quote."""
    headers = {"Authorization": f"Bearer {service_token(data_dir)}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30.0) as client:
        for index in range(COMMUNITIES):
            text = f"!quote add {quote_text(index)}"
            event = chat_event(run_id, "seed", index, text, community=index, roles=["moderator"])
            response = client.post(EVENTS_PATH, json=event)
            body = response.json() if response.status_code == 200 else {}
            texts = [r.get("text", "") for r in body.get("responses", [])]
            if body.get("status") != "processed" or not any("added" in t for t in texts):
                detail = f"{response.status_code} {response.text[:300]}"
                raise ServerError(f"seeding community {index} failed: {detail}")
