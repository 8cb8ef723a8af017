"""`waddlebot keys create` as a real subprocess against a running server (identity in process)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from flask_core.testing import TEST_SECRET, service_headers
from waddlebot_cli.testing import process_env, run_fleet
from waddlebot_identity.app import create_app as create_identity
from waddlebot_identity.settings import IdentitySettings


async def keys_create(data_dir: Path, url: str, *args: str) -> tuple[int, str, str]:
    env = process_env(data_dir, 0, INTERNAL_JWT_SECRET=TEST_SECRET, LOG_FORMAT="json")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "waddlebot_cli.main", "keys", "create", *args, "--url", url,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_the_last_line_is_a_key_that_verifies(
    make_settings: Any, free_port: int, data_dir: Path
) -> None:
    settings = make_settings(IdentitySettings, port=free_port)
    async with run_fleet(settings, {"identity": create_identity(settings)}) as fleet:
        headers = service_headers("identity", issuer="test")
        amy = {"platform": "twitch", "platform_user_id": "42", "username": "Amy"}
        user = (await fleet.http.post("/identity/api/v1/resolve", json=amy, headers=headers)).json()

        code, out, err = await keys_create(data_dir, fleet.url, "--name", "my script")
        assert code == 0, err
        operator_key = out.strip().splitlines()[-1]
        assert operator_key.startswith("wbk_")
        verified = await fleet.http.post(
            "/identity/api/v1/keys:verify", json={"key": operator_key}, headers=headers
        )
        assert verified.status_code == 200
        operator = verified.json()["user_id"]
        assert operator != user["user_id"]

        code, out, err = await keys_create(data_dir, fleet.url, "--name", "bot", "--user", "twitch:amy")
        assert code == 0, err
        key = out.strip().splitlines()[-1]
        answer = await fleet.http.post("/identity/api/v1/keys:verify", json={"key": key}, headers=headers)
        assert answer.json()["user_id"] == user["user_id"] and answer.json()["name"] == "bot"

        code, out, _ = await keys_create(data_dir, fleet.url, "--name", "again", "--user-id", operator)
        again = out.strip().splitlines()[-1]
        assert code == 0 and again.startswith("wbk_") and again != operator_key

        code, out, err = await keys_create(data_dir, fleet.url, "--name", "x", "--user", "twitch:nobody")
        assert code == 1 and "no user known as nobody on twitch" in err and out == ""
