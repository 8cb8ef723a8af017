"""What a streamer and their chat see (issue 20, ARCHITECTURE §12): router + memories, real HTTP.

These tests are about cooldowns, so they set ROUTER_DEFAULT_COOLDOWN themselves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from flask_core.testing import service_headers
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

VIEWER = {"user": "viewer"}
BROADCASTER = {"user": "chan1", "roles": ["broadcaster"]}
MODERATOR = {"user": "mod", "roles": ["moderator"]}
TROLL = {"user": "troll"}


@pytest.fixture
def streamer_settings(make_settings: Any, backend: dict[str, Any], free_port: int) -> Callable[..., Any]:
    def factory(**values: Any) -> RouterSettings:
        settings: RouterSettings = make_settings(
            RouterSettings,
            port=free_port,
            router_module_timeout=2.0,
            default_modules=["memories"],
            **{"router_default_cooldown": "5s", **values},
            **backend,
        )
        return settings

    return factory


@asynccontextmanager
async def stream(settings: RouterSettings) -> AsyncIterator[Fleet]:
    apps = {"router": create_router(settings), "memories": create_memories(settings)}
    async with run_fleet(settings, apps) as fleet:
        yield fleet


async def say(fleet: Fleet, make_event: Any, text: str, who: dict[str, Any]) -> dict[str, Any]:
    response = await fleet.post(make_event(text, **who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def community_of(fleet: Fleet, server: str = "chan1") -> int:
    found = await fleet.http.get(
        f"/router/api/v1/communities/by-platform/twitch/{server}", headers=service_headers("router")
    )
    assert found.status_code == 200, found.text
    community_id: int = found.json()["community_id"]
    return community_id


async def test_25_quick_quotes_from_one_viewer_get_one_answer_per_window_and_no_notices(
    streamer_settings: Any, make_event: Any
) -> None:
    async with stream(streamer_settings()) as fleet:
        await say(fleet, make_event, "!quote add Never give up - Waddles", BROADCASTER)
        started = time.monotonic()
        answers = [await say(fleet, make_event, "!quote", VIEWER) for _ in range(25)]
        elapsed = time.monotonic() - started
    processed = [a for a in answers if a["status"] == "processed"]
    assert answers[0]["status"] == "processed" and "Never give up" in answers[0]["responses"][0]["text"]
    assert 1 <= len(processed) <= 1 + int(elapsed // 5)  # one answer per 5 s window
    silenced = [a for a in answers if a["status"] != "processed"]
    assert all(a["status"] == "rate_limited" and a["responses"] == [] for a in silenced)
    assert len(silenced) >= 25 - (1 + int(elapsed // 5))


async def test_25_quotes_from_the_broadcaster_are_all_answered(
    streamer_settings: Any, make_event: Any
) -> None:
    # 25 is over ROUTER_USER_RATE_LIMIT (20/30s) too: the broadcaster skips both.
    async with stream(streamer_settings()) as fleet:
        await say(fleet, make_event, "!quote add Never give up - Waddles", BROADCASTER)
        answers = [await say(fleet, make_event, "!quote", BROADCASTER) for _ in range(25)]
        helps = [await say(fleet, make_event, "!help", MODERATOR) for _ in range(21)]
    assert [a["status"] for a in answers] == ["processed"] * 25
    assert all("Never give up" in a["responses"][0]["text"] for a in answers)
    assert [h["status"] for h in helps] == ["processed"] * 21
    assert not any("slow down" in r["text"] for h in helps for r in h["responses"])


async def test_the_community_can_put_moderators_under_cooldowns_and_limits(
    streamer_settings: Any, make_event: Any
) -> None:
    async with stream(streamer_settings()) as fleet:
        await say(fleet, make_event, "!quote add one - a", MODERATOR)
        community_id = await community_of(fleet)
        changed = await fleet.http.patch(
            f"/router/api/v1/communities/{community_id}/settings",
            json={"moderators_skip_limits": False},
            headers=service_headers("router"),
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["settings"] == {"moderators_skip_limits": False}
        first = await say(fleet, make_event, "!quote", MODERATOR)
        second = await say(fleet, make_event, "!quote", BROADCASTER)
    assert first["status"] == "processed"
    assert second == {**second, "status": "rate_limited", "responses": []}


async def test_8_refused_quote_adds_from_a_viewer_say_it_once(
    streamer_settings: Any, make_event: Any
) -> None:
    async with stream(streamer_settings()) as fleet:
        tries = [await say(fleet, make_event, f"!quote add spam {i}", TROLL) for i in range(8)]
        other = await say(fleet, make_event, "!quote add mine", VIEWER)
        shown = await say(fleet, make_event, "!quote", MODERATOR)
    assert [t["status"] for t in tries] == ["rejected"] * 8
    texts = [r["text"] for t in tries for r in t["responses"]]
    assert texts == ["@troll, !quote add needs moderator or higher."]
    assert tries[0]["responses"][0]["type"] == "error"
    assert other["status"] == "rejected" and len(other["responses"]) == 1  # per user
    assert "No quotes yet" in shown["responses"][0]["text"]  # nothing was added


async def test_a_cooldown_ends_and_silenced_or_refused_commands_do_not_count_toward_the_limit(
    streamer_settings: Any, make_event: Any, eventually: Any
) -> None:
    settings = streamer_settings(router_default_cooldown="300ms", router_user_rate_limit="3/30s")
    async with stream(settings) as fleet:
        assert (await say(fleet, make_event, "!quote", VIEWER))["status"] == "processed"  # 1 of 3
        silenced = [await say(fleet, make_event, "!quote", VIEWER) for _ in range(10)]
        refused = [await say(fleet, make_event, "!quote add x", VIEWER) for _ in range(10)]

        async def answered_again() -> bool:
            return (await say(fleet, make_event, "!quote", VIEWER))["status"] == "processed"  # 2 of 3

        await eventually(answered_again, within=5)
        search = await say(fleet, make_event, "!quote search words", VIEWER)  # 3 of 3
        over = await say(fleet, make_event, "!help", VIEWER)
    assert {s["status"] for s in silenced} <= {"rate_limited", "processed"}
    assert all(s["responses"] == [] for s in silenced if s["status"] == "rate_limited")
    assert {r["status"] for r in refused} == {"rejected"}
    assert search["status"] == "processed"
    assert over["status"] == "rate_limited" and "slow down" in over["responses"][0]["text"]


async def test_cooldowns_set_by_the_community_win_and_zero_means_none(
    streamer_settings: Any, make_event: Any
) -> None:
    async with stream(streamer_settings(router_default_cooldown="1h")) as fleet:
        await say(fleet, make_event, "!quote add one - a", MODERATOR)
        community_id = await community_of(fleet)
        url = f"/router/api/v1/communities/{community_id}/commands/quote"
        patched = await fleet.http.patch(url, json={"global_cooldown": 0}, headers=service_headers("router"))
        assert patched.status_code == 200, patched.text
        free = [await say(fleet, make_event, "!quote", VIEWER) for _ in range(3)]
        await fleet.http.patch(url, json={"global_cooldown": None}, headers=service_headers("router"))
        back = [await say(fleet, make_event, "!quote", VIEWER) for _ in range(2)]
    assert [f["status"] for f in free] == ["processed"] * 3
    assert [b["status"] for b in back] == ["processed", "rate_limited"]  # the 1 h default again


async def test_quote_remove_aliases_keep_the_role_and_help_lists_what_the_caller_may_use(
    streamer_settings: Any, make_event: Any
) -> None:
    async with stream(streamer_settings(router_default_cooldown=0)) as fleet:
        await say(fleet, make_event, "!quote add one - a", MODERATOR)
        refused = await say(fleet, make_event, "!quote rm 1", VIEWER)
        removed = await say(fleet, make_event, "!quote del 1", MODERATOR)
        viewer_help = (await say(fleet, make_event, "!help quote", VIEWER))["responses"][0]["text"]
        mod_help = (await say(fleet, make_event, "!help quote", MODERATOR))["responses"][0]["text"]
        modules = (await say(fleet, make_event, "!modules", VIEWER))["responses"][0]["text"]
        listed = await fleet.http.get(
            f"/router/api/v1/communities/{await community_of(fleet)}/commands",
            headers=service_headers("router"),
        )
    paths = [c["path"] for c in listed.json()["commands"]]
    assert paths.count("quote remove") == 1 and "quote rm" not in paths  # an alias is not a command
    assert (
        refused["status"] == "rejected" and "!quote remove needs moderator" in refused["responses"][0]["text"]
    )
    assert removed["status"] == "processed" and removed["responses"][0]["text"] == "Quote #1 removed."
    assert "!quote search <words>" in viewer_help and "remove" not in viewer_help and "add" not in viewer_help
    assert "!quote remove <number> (also quote delete, quote del, quote rm)" in mod_help
    assert "!quote add" in mod_help and "!quote edit" in mod_help
    assert (
        modules
        == "Here I do: Quotes from the stream, bookmarks and reminders (!bookmark, !quote, !remind). "
        + ("Type !help <command> for details.")
    )


async def test_a_long_quote_fits_one_twitch_message(streamer_settings: Any, make_event: Any) -> None:
    text = ("very long words " * 30)[:399].strip().ljust(399, "x")
    async with stream(streamer_settings(router_default_cooldown=0)) as fleet:
        await say(fleet, make_event, f"!quote add {text} - {'B' * 100}", MODERATOR)
        shown = await say(fleet, make_event, "!quote 1", VIEWER)
    answer = shown["responses"][0]["text"]
    assert len(answer) <= 500 and answer.endswith(")") and "…" in answer


async def test_one_info_line_per_handled_command_without_the_message(
    streamer_settings: Any, make_event: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with stream(streamer_settings(router_default_cooldown=0)) as fleet:
        with caplog.at_level(logging.INFO):
            await say(fleet, make_event, "!quote add secret words - a", MODERATOR)
            await say(fleet, make_event, "just chatting", VIEWER)
            await say(fleet, make_event, "!quote add nope", VIEWER)
    lines = [r.msg for r in caplog.records if r.levelno >= logging.INFO and isinstance(r.msg, dict)]
    commands = [line for line in lines if line.get("event") == "router.command"]
    assert [(c["command"], c["status"], c["user"]) for c in commands] == [
        ("quote add", "processed", "mod"),
        ("quote add", "rejected", "viewer"),
    ]
    assert {"platform", "channel", "duration_ms"} <= set(commands[0])
    assert not any("secret words" in str(line) for line in lines)
    assert not any(line.get("event") == "http.request" for line in lines)  # no per-request noise


def test_the_default_cooldown_is_5s_and_reads_durations(make_settings: Any) -> None:
    assert RouterSettings.model_fields["router_default_cooldown"].default == 5.0
    assert make_settings(RouterSettings, router_default_cooldown="2m").router_default_cooldown == 120.0
    assert make_settings(RouterSettings).router_default_cooldown == 0  # test base environment (§12)
