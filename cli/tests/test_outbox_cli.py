"""`waddlebot outbox list [--dead]` and `waddlebot outbox retry <id> | --all`, on both stores."""

from __future__ import annotations

from typing import Any

from flask_core.collector import CollectorSettings
from flask_core.outbox import open_outbox
from flask_core.resources import Resources
from waddlebot_cli.outbox import list_entries, retry


async def _seed(settings: Any) -> None:
    res = await Resources.open(settings)
    try:
        await res.db.migrate()
        inbound, outbound = open_outbox(res, "twitch"), open_outbox(res, "twitch.out")
        await inbound.put({"event_id": "twitch:waiting", "text": "!quote"})
        await outbound.put(
            {"invocation_id": "inv-1", "index": 0, "chunks": ["hello chat"]}, key="inv-1:0", key_ttl=60
        )
        [entry] = await outbound.claim(1, 0)
        entry.attempts = 7
        await outbound.dead_letter(entry, "expired after 7 attempts: unavailable:helix")
    finally:
        await res.close()


async def test_list_shows_waiting_entries_and_dead_letters_and_retry_sends_them_again(
    make_settings: Any, backend: dict[str, Any]
) -> None:
    settings = make_settings(CollectorSettings, **backend)
    await _seed(settings)
    lines: list[str] = []
    assert await list_entries(settings, "twitch", False, lines.append) == 0
    assert lines[-1] == "1 waiting" and lines[0].startswith("twitch/") and "twitch:waiting" in lines[0]
    lines.clear()
    assert await list_entries(settings, "twitch", True, lines.append) == 0
    [letter, total] = lines
    assert letter.startswith("twitch.out/") and "hello chat" in letter and "unavailable:helix" in letter
    assert '"attempts": 7' in letter and total == "1 dead letters"
    target = letter.split(" ", 1)[0]
    said: list[str] = []
    assert await retry(settings, "slack.out", None, said.append) == 2  # not <outbox>/<id>
    assert await retry(settings, "twitch.out/nope-0", None, said.append) == 1
    assert await retry(settings, target, None, said.append) == 0
    assert said[-1] == "1 sent back to the outbox"
    lines.clear()
    await list_entries(settings, "twitch", True, lines.append)
    assert lines == ["0 dead letters"]
    lines.clear()
    await list_entries(settings, None, False, lines.append)
    assert lines[-1] == "2 waiting"  # the replayed reply waits to be sent again
    assert await retry(settings, None, "twitch", said.append) == 0 and said[-1] == "0 sent back to the outbox"
