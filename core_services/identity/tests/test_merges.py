"""Linking merges users; reputation is told, and told again until it confirms."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded, started
from waddlebot_identity import service
from waddlebot_identity.app import create_app
from waddlebot_identity.settings import IdentitySettings


async def test_a_merge_is_retried_until_reputation_confirms_it(make_settings: Any) -> None:
    fake = FakeHttpServer()
    answers = [503, 503, 503, 200]
    bodies: list[dict[str, Any]] = []

    async def merge(call: Recorded) -> web.Response:
        bodies.append(call.json)
        status = answers.pop(0) if answers else 200
        return web.json_response({"merged": True} if status == 200 else {"error": {}}, status=status)

    fake.route("POST", "/reputation/api/v1/users:merge", merge)
    async with fake.serving():
        settings = make_settings(IdentitySettings, reputation_url=fake.url, identity_merge_retry=3600)
        app = create_app(settings)
        async with started(app, settings=settings) as res:
            amy = await service.resolve(res.db, "discord", "d-1", "amy_d")
            twitch_amy = await service.resolve(res.db, "twitch", "t-1", "Amy")
            link = await service.start_link(res, amy, "twitch", "AMY", ttl=600, resend=60)
            assert link.code is not None
            outcome, merged = await service.verify_link(res, link.code, "twitch", "t-1", "amy", attempts=5)
            assert outcome.ok and merged is not None and merged.user_id == amy.user_id
            assert {i.platform for i in merged.identities} == {"discord", "twitch"}
            # reputation answered 503 (the client retried twice): the merge waits
            assert len(bodies) == 3
            assert await service.notify_merges(res) == 1
            assert bodies[-1] == {"from_user_id": twitch_amy.user_id, "into_user_id": amy.user_id}
            assert await service.notify_merges(res) == 0  # confirmed: nothing pending
            old = await service.get_user(res.db, twitch_amy.user_id)
            assert old is not None and old.user_id == amy.user_id  # the merged id answers the survivor
            # a clash: both users have a Twitch identity
            other = await service.resolve(res.db, "twitch", "t-2", "bob")
            clash = await service.start_link(res, merged, "twitch", "bob", ttl=600, resend=60)
            assert clash.code is None and "already have a twitch account" in clash.text
            assert other.user_id != merged.user_id
