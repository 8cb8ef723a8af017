"""Song requests through the real router, youtube_music and browser_source, against a fake
YouTube Data API speaking its response shapes (both backends)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from flask_core.testing import service_headers
from waddlebot_youtube_music.service import parse_duration, video_id_of

MOD = ["moderator"]


def portal() -> dict[str, str]:
    return service_headers("youtube_music", issuer="portal")


async def community(m: Any) -> int:
    def read(d: Any) -> int:
        return int(d(d.entities.server_id == "chan1").select(d.entities.community_id).first().community_id)

    found: int = await m.fleet.dispatcher.resources.db.read(read)
    return found


async def next_item(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data: dict[str, Any] = json.loads(msg.data)
        if data["type"] == "item":
            return data


async def overlay(m: Any, kind: str, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    answer = (await m.fleet.post({**_overlay_event()})).json()
    text = answer["responses"][0]["text"]
    token = text.split("/browser_source/overlay/", 1)[1].split("/", 1)[0]
    ws = await session.ws_connect(f"{m.fleet.url.replace('http', 'ws')}/browser_source/ws/{token}/{kind}")
    while json.loads((await ws.receive(timeout=5)).data)["type"] != "ready":
        pass
    return ws


def _overlay_event() -> dict[str, Any]:
    from .conftest import event

    return event("!overlay", user="mod", roles=MOD)


def test_links_and_durations() -> None:
    assert (
        parse_duration("PT4M13S") == 253
        and parse_duration("PT1H") == 3600
        and parse_duration("P1DT1S") == 86401
    )
    assert parse_duration("P0D") == 0 and parse_duration("junk") == 0
    for link in ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3", "youtu.be/dQw4w9WgXcQ",
                 "https://music.youtube.com/watch?v=dQw4w9WgXcQ", "https://youtube.com/shorts/dQw4w9WgXcQ",
                 "dQw4w9WgXcQ"):  # fmt: skip
        assert video_id_of(link) == "dQw4w9WgXcQ", link
    assert video_id_of("https://evil.example/watch?v=dQw4w9WgXcQ") is None
    assert video_id_of("never gonna give you up") is None


async def test_requests_play_in_order_and_the_overlay_advances_the_queue(
    music_fleet: Any, youtube_music: Any, fake_youtube: Any
) -> None:
    fake_youtube.add("dQw4w9WgXcQ", "Never Gonna Give You Up", channel="Rick Astley")
    fake_youtube.add("9bZkp7q19f0", "Gangnam Style", channel="officialpsy", duration="PT4M13S")
    fake_youtube.add("kJQP7kiw5Fk", "Despacito", channel="LuisFonsiVEVO", duration="PT4M42S")
    fake_youtube.add("LONGLONG123", "Ten hour loop", duration="PT10H")
    fake_youtube.add("NOEMBED1234", "Label video", embeddable=False)
    async with music_fleet(youtube_music, "youtube_music") as m, aiohttp.ClientSession() as session:
        playing = await overlay(m, "now_playing", session)
        media = await overlay(m, "media", session)
        assert await m.say("!song") == "Nothing is playing."
        first = await m.say("!sr never gonna give you up")
        assert first == 'Now playing "Never Gonna Give You Up" (3:30).'
        assert (await next_item(playing))["payload"]["title"] == "Never Gonna Give You Up"
        play = (await next_item(media))["payload"]
        assert play["action"] == "play" and play["video_id"] == "dQw4w9WgXcQ"
        second = await m.say("!sr https://www.youtube.com/watch?v=9bZkp7q19f0", user="bob")
        assert second == 'Added "Gangnam Style" (4:13), #1 in the queue.'
        assert await m.say("!sr youtu.be/LONGLONG123") == "That song is 600:00 long; the limit is 10:00."
        assert await m.say("!sr NOEMBED1234") == "That video cannot be played here (not embeddable, or live)."
        assert await m.say("!sr nothing matches this") == "No video found for that."
        assert await m.say("!queue") == "Queue: 1. Gangnam Style (Bob)"
        assert (
            await m.say("!song")
            == 'Now playing: "Never Gonna Give You Up" — requested by Amy https://youtu.be/dQw4w9WgXcQ'
        )
        # The media overlay reports the end of the song: the queue advances.
        await media.send_json({"type": "ended", "request_id": play["request_id"]})
        assert (await next_item(playing))["payload"]["title"] == "Gangnam Style"
        nxt = (await next_item(media))["payload"]
        assert nxt["video_id"] == "9bZkp7q19f0"
        await media.send_json({"type": "ended", "request_id": play["request_id"]})  # a late repeat: ignored
        assert (
            await m.say("!song")
            == 'Now playing: "Gangnam Style" — requested by Bob https://youtu.be/9bZkp7q19f0'
        )
        await media.send_json({"type": "ended", "request_id": nxt["request_id"]})
        assert (await next_item(playing))["payload"]["title"] == ""
        assert (await next_item(media))["payload"] == {"action": "stop"}
        assert await m.say("!song") == "Nothing is playing."
        await playing.close()
        await media.close()


async def test_per_user_limit_approval_mode_and_blocklist(
    music_fleet: Any, youtube_music: Any, fake_youtube: Any
) -> None:
    for n in range(7):
        fake_youtube.add(f"song{n}aaaaaa", f"Song {n}")
    fake_youtube.add("BLOCKEDID01", "Fine title")
    fake_youtube.add("BADCHANNEL1", "Other title", channel="Spam Channel")
    fake_youtube.add("BADWORDS001", "A very rude song")
    async with music_fleet(youtube_music, "youtube_music") as m:
        for n in range(4):  # the first one plays at once: three wait in the queue
            assert "Song" in await m.say(f"!sr song{n}aaaaaa")
        assert await m.say("!sr song4aaaaaa") == "You already have 3 requests in the queue (the limit is 3)."
        assert (await m.say("!sr song4aaaaaa", user="bob")).startswith('Added "Song 4"')
        cid = await community(m)
        base = f"/youtube_music/api/v1/communities/{cid}"
        changed = await m.fleet.http.put(f"{base}/settings", headers=portal(), json={
            "approval": True, "blocked_ids": ["BLOCKEDID01"], "blocked_channels": ["spam channel"],
            "blocked_words": ["rude"], "user_limit": 5})  # fmt: skip
        assert changed.status_code == 200 and changed.json()["approval"] is True
        assert await m.say("!sr BLOCKEDID01", user="cat") == "That song is blocked here."
        assert await m.say("!sr BADCHANNEL1", user="cat") == "Songs from that channel are blocked here."
        assert await m.say("!sr BADWORDS001", user="cat") == "That request contains a blocked word."
        assert await m.say("!sr Song 5", user="cat") == '"Song 5" awaits a moderator\'s approval.'
        assert (
            await m.say("!queue")
            == "Queue: 1. Song 1 (Amy) | 2. Song 2 (Amy) | 3. Song 3 (Amy) | 4. Song 4 (Bob)"
        )
        pending = (await m.fleet.http.get(f"{base}/queue?state=pending", headers=portal())).json()["items"]
        assert [p["title"] for p in pending] == ["Song 5"]
        approved = await m.fleet.http.post(f"{base}/queue/{pending[0]['id']}/approve", headers=portal())
        assert approved.status_code == 200 and approved.json()["state"] == "queued"
        assert (await m.say("!queue")).endswith("5. Song 5 (Cat)")
        again = await m.fleet.http.post(f"{base}/queue/{pending[0]['id']}/approve", headers=portal())
        assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"
        assert (await m.fleet.http.get(f"{base}/queue")).status_code == 401
        bad = await m.fleet.http.put(f"{base}/settings", headers=portal(), json={"user_limit": 0})
        assert bad.status_code == 422
        page = (await m.fleet.http.get(f"{base}/queue?limit=2", headers=portal())).json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        rest = (
            await m.fleet.http.get(f"{base}/queue?limit=10&cursor={page['next_cursor']}", headers=portal())
        ).json()
        assert [i["title"] for i in page["items"] + rest["items"]] == [
            "Song 0",
            "Song 1",
            "Song 2",
            "Song 3",
            "Song 4",
            "Song 5",
        ]


async def test_skip_votes_moderator_skip_remove_wrongsong_and_undo(
    music_fleet: Any, youtube_music: Any, fake_youtube: Any
) -> None:
    for n in range(4):
        fake_youtube.add(f"track{n}bbbbb", f"Track {n}")
    async with music_fleet(youtube_music, "youtube_music") as m:
        await m.say("!sr track0bbbbb")
        cid = await community(m)
        base = f"/youtube_music/api/v1/communities/{cid}"
        await m.fleet.http.put(f"{base}/settings", headers=portal(), json={"skip_votes": 2})
        await m.say("!sr track1bbbbb", user="bob")
        await m.say("!sr track2bbbbb", user="bob")
        await m.say("!sr track3bbbbb", user="cat")
        assert await m.say("!skip", user="dan") == "Skip vote 1/2."
        assert await m.say("!skip", user="dan") == "Skip vote 1/2."  # one vote per viewer
        assert await m.say("!skip", user="eve") == 'Skipped "Track 0". Now playing "Track 1".'
        assert await m.say("!skip", user="mod", roles=MOD) == 'Skipped "Track 1". Now playing "Track 2".'
        undone = await m.fleet.http.post(f"{base}/queue/undo-skip", headers=portal())
        assert [i["title"] for i in undone.json()["items"]] == ["Track 1", "Track 2", "Track 3"]
        assert (
            await m.say("!song") == 'Now playing: "Track 1" — requested by Bob https://youtu.be/track1bbbbb'
        )
        assert "moderator" in await m.say("!sr remove 2")  # viewers may not
        removed = await m.say("!sr remove 2", user="mod", roles=MOD)
        assert removed == 'Removed #2 "Track 3".'
        assert await m.say("!sr remove 9", user="mod", roles=MOD) == "There is no #9 in the queue."
        assert await m.say("!wrongsong", user="bob") == 'Removed your request "Track 2".'
        assert await m.say("!wrongsong", user="bob") == 'Skipped your request "Track 1".'
        assert await m.say("!wrongsong", user="zed") == "You have no request in the queue."
        assert await m.say("!queue") == "The queue is empty."


async def test_a_used_up_quota_is_said_in_chat(
    music_fleet: Any, youtube_music: Any, fake_youtube: Any
) -> None:
    fake_youtube.add("dQw4w9WgXcQ", "Never Gonna Give You Up")
    fake_youtube.quota_left = 150  # one search (100) and its videos call (1), then no more searches
    async with music_fleet(youtube_music, "youtube_music") as m:
        assert (await m.say("!sr never gonna")).startswith("Now playing")
        quota = await m.say("!sr never gonna", user="bob")
        assert quota == "YouTube's request quota for today is used up. Song requests are back tomorrow."
        calls = fake_youtube.server.calls(r"/youtube/v3/search")
        assert len(calls) == 2 and all(c.query["key"] == "test-youtube-key" for c in calls)
        assert calls[0].query["type"] == "video" and calls[0].query["videoEmbeddable"] == "true"
