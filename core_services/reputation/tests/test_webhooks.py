"""`!link` on Discord and `!verify` on Twitch through signed platform webhooks.

The real Twitch and Discord collectors verify the signatures and hand the events to the
real router (identity and reputation behind it, one process, SQLite). The
router's deliveries go to a recording collector endpoint (TWITCH_URL / DISCORD_URL point
at it), where the private `dm` answer with the code is visible: sending DMs through the
platforms is the collectors' part, built separately.
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from flask_core.testing import FakeHttpServer, Recorded
from waddlebot_cli.testing import run_fleet
from waddlebot_discord.app import create_app as create_discord
from waddlebot_discord.settings import DiscordSettings
from waddlebot_identity.app import create_app as create_identity
from waddlebot_identity.settings import IdentitySettings
from waddlebot_reputation.app import create_app as create_reputation
from waddlebot_reputation.settings import ReputationSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.communities import find_community
from waddlebot_router.settings import RouterSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.eventsub import signed_headers
from waddlebot_twitch.settings import TwitchSettings

FIXTURES = Path(__file__).parent / "fixtures"
EVENTSUB_SECRET = "eventsub-test-secret-0123456789"
BROADCASTER = "1971641"  # the Twitch fixture's channel
GUILD = "1300000000000000000"  # the Discord fixture's server
KEY = Ed25519PrivateKey.generate()
PUBLIC_KEY = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


class Deliveries:
    """`POST /<platform>/api/v1/messages` as a collector answers it (202), recorded."""

    def __init__(self) -> None:
        self.server = FakeHttpServer()
        self.stored: list[tuple[str, dict[str, Any]]] = []
        for platform in ("twitch", "discord"):
            self.server.route("POST", f"/{platform}/api/v1/messages", self._store(platform))

    def _store(self, platform: str) -> Any:
        async def store(call: Recorded) -> web.Response:
            self.stored.append((platform, call.json))
            return web.json_response({"queued": 1, "duplicates": 0, "skipped": 0}, status=202)

        return store

    def texts(self, platform: str, kind: str = "chat") -> list[str]:
        return [
            r["text"] for p, d in self.stored if p == platform for r in d["responses"] if r["type"] == kind
        ]


def twitch_chat(text: str, *, user_id: str, login: str) -> tuple[bytes, dict[str, str]]:
    payload = json.loads((FIXTURES / "twitch_channel.chat.message.json").read_text())
    payload["event"].update(
        chatter_user_id=user_id, chatter_user_login=login, chatter_user_name=login,
        message_id=str(uuid.uuid4()), message={"text": text, "fragments": []},
        badges=[{"set_id": "broadcaster", "id": "1", "info": ""}] if user_id == BROADCASTER else [],
    )  # fmt: skip
    body = json.dumps(payload).encode()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
    return body, signed_headers(EVENTSUB_SECRET, str(uuid.uuid4()), stamp, body)


def discord_command(name: str, args: str) -> tuple[bytes, dict[str, str]]:
    payload = copy.deepcopy(json.loads((FIXTURES / "discord_application_command.json").read_text()))
    payload["id"] = str(1250000000000000000 + time.time_ns() % 10**9)
    payload["data"].update(name=name, options=[{"name": "args", "type": 3, "value": args}] if args else [])
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    headers = {
        "X-Signature-Ed25519": KEY.sign(stamp.encode() + body).hex(),
        "X-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }
    return body, headers


async def test_link_on_discord_and_verify_on_twitch_through_signed_webhooks(
    make_settings: Any, free_port: int, eventually: Any
) -> None:
    deliveries = Deliveries()
    async with deliveries.server.serving():
        common = {"port": free_port}  # one backend: storage is covered by test_chat.py
        outbox = {"outbox_poll_interval": 0.05, "outbox_backoff_base": 0.05}
        router = make_settings(
            RouterSettings, default_modules=["identity", "reputation"], router_manifest_interval=0.5,
            twitch_bot_user_id="id-bot", twitch_url=deliveries.server.url, discord_url=deliveries.server.url,
            **common,
        )  # fmt: skip
        twitch = make_settings(
            TwitchSettings, twitch_eventsub_secret=EVENTSUB_SECRET, twitch_client_id="test-client-id",
            twitch_client_secret="test-client-secret", twitch_bot_user_id="id-bot",
            twitch_api_url=f"{deliveries.server.url}/helix", twitch_auth_url=f"{deliveries.server.url}/oauth2",
            public_url="https://bot.example.com", **outbox, **common,
        )  # fmt: skip
        discord = make_settings(
            DiscordSettings, discord_public_key=PUBLIC_KEY, discord_application_id="1100000000000000000",
            discord_api_url=f"{deliveries.server.url}/api/v10", discord_interaction_wait=0.2, **outbox,
            **common,
        )  # fmt: skip
        apps = {
            "router": create_router(router),
            "identity": create_identity(make_settings(IdentitySettings, **common)),
            "reputation": create_reputation(make_settings(ReputationSettings, **common)),
            "twitch": create_twitch(twitch),
            "discord": create_discord(discord),
        }
        async with run_fleet(router, apps) as fleet, httpx.AsyncClient(base_url=fleet.url) as http:

            async def on_twitch(text: str, user_id: str, login: str) -> None:
                body, headers = twitch_chat(text, user_id=user_id, login=login)
                assert (
                    await http.post("/twitch/webhooks/eventsub", content=body, headers=headers)
                ).status_code == 204

            async def on_discord(name: str, args: str) -> None:
                body, headers = discord_command(name, args)
                answer = await http.post("/discord/webhooks/interactions", content=body, headers=headers)
                assert answer.status_code == 200, answer.text

            await on_twitch("!points", BROADCASTER, "streamer")  # the Twitch community is made
            await eventually(lambda: deliveries.texts("twitch"))
            assert deliveries.texts("twitch") == ["streamer has 0 points."]
            # Until the community service's `!community link` lands, the Discord server
            # joins the Twitch community through the router's own `entities` table.
            router_res = fleet.dispatcher.apps["router"].extensions["waddlebot.resources"]
            community = await find_community(router_res, "twitch", BROADCASTER)
            assert community is not None

            def join(db: Any) -> None:
                db.entities.insert(community_id=community, platform="discord", server_id=GUILD)

            await router_res.db.run(join)

            await on_discord("link", "twitch viewer32")
            await eventually(lambda: deliveries.texts("discord", "dm"))
            [dm] = deliveries.texts("discord", "dm")
            found = re.search(r"code is ([A-Z0-9]{6})\.", dm)
            assert found is not None, dm
            code = found.group(1)
            assert deliveries.texts("discord") == []  # the code went privately only

            await on_twitch(f"!verify {code}", "4145994", "viewer32")
            await eventually(lambda: len(deliveries.texts("twitch")) >= 2)
            linked = deliveries.texts("twitch")[1]
            assert linked.startswith("Linked! You are user #") and "discord: amy" in linked

            await on_twitch("!points add @viewer32 100", BROADCASTER, "streamer")
            await on_twitch(f"!verify {code}", "4145994", "viewer32")  # a used code links nothing
            await eventually(lambda: len(deliveries.texts("twitch")) >= 4)
            assert deliveries.texts("twitch")[2:] == [
                "Gave viewer32 100 points; they now have 100 points.",
                "That code is not valid (wrong, used or expired).",
            ]
            await on_discord("points", "")
            await eventually(lambda: deliveries.texts("discord"))
            [points] = deliveries.texts("discord")
            assert points.endswith(" has 100 points.")
