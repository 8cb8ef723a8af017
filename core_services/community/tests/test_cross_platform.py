"""One community across Twitch and Discord, from chat through the signed webhooks.

The Twitch broadcaster asks for a one-time code (a private `dm` answer); the Discord
server's owner links the server with it; from then on the server's events are the
community's: a quote added on Twitch is read on Discord. A replayed, expired, foreign
or misused code links nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

BROADCASTER = "1971641"  # the recorded chat fixture's channel (conftest)
GUILD = "1300000000000000000"  # the recorded interaction's guild (conftest)
ADMINISTRATOR = 1 << 3

OTHER_GUILD = "1300000000000000099"


def code_of(answer: dict[str, Any]) -> str:
    [dm] = answer["responses"]
    assert dm["type"] == "dm"  # a one-time code only ever goes privately (§11)
    found = re.search(r"code: ([A-Z0-9]{8})\.", dm["text"])
    assert found, dm
    return found.group(1)


async def test_a_discord_server_joins_a_twitch_community_and_shares_its_data(chat_fleet: Any) -> None:
    async with chat_fleet() as chat:
        assert await chat.twitch("!quote add Waddle on - Amy") == "Quote #1 added."
        assert await chat.discord("quote") == "No quotes yet. Moderators can add them."  # its own community
        refused = await chat.inline("!community code", user_id="4145994", roles=["moderator"])
        assert refused["status"] == "rejected"  # the broadcaster's only
        code = code_of(await chat.inline("!community code", roles=["broadcaster"]))

        # Only the server's owner (Administrator or Manage Server → broadcaster) links it.
        assert "needs broadcaster" in await chat.discord("community", f"link {code}")
        assert await chat.discord("community", "link ABCD2345", permissions=ADMINISTRATOR) == (
            "That code is not valid: it may have expired or been used already."
        )  # foreign: never issued
        linked = await chat.discord("community", f"link {code.lower()}", permissions=ADMINISTRATOR)
        assert linked == "Linked! This server now belongs to the community on discord, twitch."

        assert (await chat.discord("quote")).startswith('Quote #1: "Waddle on" — Amy')  # at once
        assert (
            await chat.discord("quote", "add Flippers up - Bo", permissions=ADMINISTRATOR)
            == "Quote #2 added."
        )
        assert (await chat.twitch("!quote 2")).startswith('Quote #2: "Flippers up" — Bo')
        info = await chat.discord("community", "info")
        assert info == f"This community is on: twitch ({BROADCASTER}), discord ({GUILD})."
        assert await chat.twitch("!community info") == info

        # Replayed: the spent code links nothing, from any server.
        again = await chat.discord("community", f"link {code}", guild=OTHER_GUILD, permissions=ADMINISTRATOR)
        assert "not valid" in again
        # Expired: a code past its ten minutes links nothing either.
        late = code_of(await chat.inline("!community code", roles=["broadcaster"]))
        await _age_codes(chat, timedelta(minutes=11))
        assert "not valid" in await chat.discord(
            "community", f"link {late}", guild=OTHER_GUILD, permissions=ADMINISTRATOR
        )
        assert await chat.discord("quote", guild=OTHER_GUILD) == "No quotes yet. Moderators can add them."

        listed = (await chat.call("GET", "/community/api/v1/communities")).json()["items"]
        by_platforms = {tuple(c["platforms"]): c for c in listed}
        # Twitch + the linked guild; the guild's first community, left with no server (its
        # data stays there, nothing was merged); the other guild's own.
        assert sorted(by_platforms) == [(), ("discord",), ("discord", "twitch")]
        entities = (
            await chat.call(
                "GET", f"/community/api/v1/communities/{by_platforms[('discord', 'twitch')]['id']}/entities"
            )
        ).json()
        assert [(e["platform"], e["server_id"]) for e in entities["items"]] == [
            ("twitch", BROADCASTER),
            ("discord", GUILD),
        ]


async def _age_codes(chat: Any, by: timedelta) -> None:
    def age(d: Any) -> None:
        for row in d(d.community_link_codes.used_at == None).select():  # noqa: E711
            row.update_record(expires_at=row.expires_at - by)

    res = chat.fleet.dispatcher.resources
    await res.db.run(age)
