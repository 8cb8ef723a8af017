"""`waddlebot users create|grant` against the database, then a sign-in through the portal."""

from __future__ import annotations

import asyncio
import contextlib
import io
from typing import Any

import pytest

from flask_core.testing import TEST_PORTAL_SECRET, TEST_SECRET
from waddlebot_cli.main import main


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


def waddlebot(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


async def test_users_create_and_grant_then_sign_in(
    portal_fleet: Any, monkeypatch: pytest.MonkeyPatch, backend: dict[str, Any], data_dir: Any
) -> None:
    for name, value in {
        "ENV": "test", "DATA_DIR": str(data_dir), "DATABASE_URL": backend["database_url"],
        "INTERNAL_JWT_SECRET": TEST_SECRET, "PORTAL_JWT_SECRET": TEST_PORTAL_SECRET,
        "PORTAL_ARGON2_TIME_COST": "1", "PORTAL_ARGON2_MEMORY_COST": "8", "PORTAL_ARGON2_PARALLELISM": "1",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    community = await portal_fleet.community(server="9001")
    code, out, _ = await asyncio.to_thread(
        waddlebot, "users", "create", "--email", "Streamer@Example.com", "--password", "a long password"
    )
    assert code == 0 and "created user streamer@example.com" in out
    code, _, err = await asyncio.to_thread(
        waddlebot, "users", "create", "--email", "streamer@example.com", "--password", "another one!"
    )
    assert code == 1 and "exists" in err
    code, _, err = await asyncio.to_thread(
        waddlebot, "users", "create", "--email", "x@example.com", "--password", "short"
    )
    assert code == 1 and "8 to 1024" in err
    code, out, _ = await asyncio.to_thread(
        waddlebot,
        "users",
        "grant",
        "--email",
        "streamer@example.com",
        "--community",
        "twitch:9001",
        "--role",
        "broadcaster",
    )
    assert code == 0 and f"broadcaster in community {community}" in out
    code, _, err = await asyncio.to_thread(
        waddlebot,
        "users",
        "grant",
        "--email",
        "streamer@example.com",
        "--community",
        "twitch:404",
        "--role",
        "vip",
    )
    assert code == 1 and "no community for twitch:404" in err
    code, _, err = await asyncio.to_thread(
        waddlebot,
        "users",
        "grant",
        "--email",
        "streamer@example.com",
        "--community",
        "myspace:1",
        "--role",
        "vip",
    )
    assert code == 2

    browser = portal_fleet.browser()
    assert (await browser.login("streamer@example.com", "a long password")).status_code == 200
    [mine] = (await browser.get("/me")).json()["communities"]
    assert (mine["id"], mine["role"]) == (community, "broadcaster")
