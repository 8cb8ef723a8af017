"""A server id of the longest allowed length provisions its community (a 500 before)."""

from __future__ import annotations

from typing import Any

from waddlebot_cli.testing import run_fleet


async def test_a_200_character_server_id_is_provisioned(
    router_settings: Any, router_factory: Any, make_event: Any
) -> None:
    async with run_fleet(router_settings, {"router": router_factory(router_settings)}) as fleet:
        answer = await fleet.post(make_event("hello", server="9" * 200))
        assert answer.status_code == 200
        assert answer.json()["status"] in ("processed", "ignored")
