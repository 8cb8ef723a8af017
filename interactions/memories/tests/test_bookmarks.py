"""!bookmark: add (with a safely fetched title), list, search, remove; the SSRF matrix in chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded, started
from waddlebot_memories import bookmarks
from waddlebot_memories.app import create_app
from waddlebot_memories.settings import MemoriesSettings

MOD = ["moderator"]


def text_of(responses: list[dict[str, Any]]) -> str:
    assert len(responses) == 1 and responses[0]["type"] == "chat"
    return str(responses[0]["text"])


@pytest_asyncio.fixture
async def page(fake_http: FakeHttpServer) -> FakeHttpServer:
    async def titled(call: Recorded) -> web.Response:
        return web.Response(text="<title>Speedrun &amp; Chill</title>", content_type="text/html")

    async def to_loopback(call: Recorded) -> web.Response:
        port = fake_http.url.rsplit(":", 1)[1]  # this same server, by its IPv4-mapped address
        raise web.HTTPFound(f"http://[::ffff:127.0.0.1]:{port}/inside")

    async def huge(call: Recorded) -> web.Response:
        return web.Response(text="<title>Huge</title>" + "x" * 300_000, content_type="text/html")

    fake_http.route("GET", "/titled", titled)
    fake_http.route("GET", "/redirect", to_loopback)
    fake_http.route("GET", "/huge", huge)
    return fake_http


@pytest_asyncio.fixture
async def allowed_res(make_settings: Any, backend: dict[str, Any]) -> AsyncIterator[Any]:
    """Resources of a memories app whose test-only allowed networks include 127.0.0.1."""
    settings = make_settings(MemoriesSettings, memories_fetch_allowed_networks=["127.0.0.1/32"], **backend)
    app = create_app(settings)
    async with started(app, settings=settings) as res:
        yield res


async def test_add_list_search_remove(res: Any, make_request: Any) -> None:
    add = await bookmarks.add(
        res, make_request("bookmark add", "https://example.org/vod My best run", roles=MOD)
    )
    assert text_of(add) == "Bookmark #1 saved: My best run"
    await bookmarks.add(res, make_request("bookmark add", "https://example.org/clip Funny CLIP", roles=MOD))
    listed = text_of(await bookmarks.list_bookmarks(res, make_request("bookmark list")))
    assert (
        listed
        == "Bookmarks: #2 Funny CLIP — https://example.org/clip | #1 My best run — https://example.org/vod"
    )
    found = text_of(await bookmarks.search(res, make_request("bookmark search", "funny clip")))
    assert found == "#2 Funny CLIP — https://example.org/clip"
    assert text_of(await bookmarks.search(res, make_request("bookmark search", "nothing"))) == (
        "No bookmark matches that search."
    )
    assert text_of(await bookmarks.remove(res, make_request("bookmark remove", "1", roles=MOD))) == (
        "Bookmark #1 removed."
    )
    assert (
        text_of(await bookmarks.remove(res, make_request("bookmark remove", "1", roles=MOD)))
        == "No bookmark #1."
    )
    assert "#1" not in text_of(await bookmarks.list_bookmarks(res, make_request("bookmark list")))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "example.org", "https://"])
async def test_only_http_links_are_kept(res: Any, make_request: Any, url: str) -> None:
    answer = text_of(await bookmarks.add(res, make_request("bookmark add", url, roles=MOD)))
    assert answer.startswith("Usage: !bookmark add <url> [title]")
    assert text_of(await bookmarks.list_bookmarks(res, make_request("bookmark list"))) == "No bookmarks yet."


async def test_without_a_title_the_page_title_is_fetched_from_an_allowed_network(
    allowed_res: Any, make_request: Any, page: FakeHttpServer
) -> None:
    answer = await bookmarks.add(allowed_res, make_request("bookmark add", f"{page.url}/titled", roles=MOD))
    assert text_of(answer) == "Bookmark #1 saved: Speedrun & Chill"
    assert [r.path for r in page.requests] == ["/titled"]


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/titled",
        "http://[::1]:{port}/titled",
        "http://10.0.0.1:{port}/titled",
        "http://172.16.0.1:{port}/titled",
        "http://192.168.0.1:{port}/titled",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/titled",
        "http://localhost:{port}/titled",
    ],
)
async def test_ssrf_matrix_nothing_is_fetched_and_the_bookmark_is_kept_untitled(
    res: Any, make_request: Any, page: FakeHttpServer, target: str
) -> None:
    url = target.format(port=page.url.rsplit(":", 1)[1])
    answer = await bookmarks.add(res, make_request("bookmark add", url, roles=MOD))
    assert text_of(answer) == "Bookmark #1 saved (no title found)."
    assert page.requests == []
    assert url in text_of(await bookmarks.list_bookmarks(res, make_request("bookmark list")))


async def test_a_redirect_to_loopback_an_oversized_page_and_a_slow_page_give_no_title(
    make_settings: Any, backend: dict[str, Any], make_request: Any, page: FakeHttpServer
) -> None:
    # the test network stands in for "public"; its redirect to another loopback port is refused
    settings = make_settings(
        MemoriesSettings,
        memories_fetch_allowed_networks=["127.0.0.1/32"],
        memories_fetch_timeout=0.5,
        **backend,
    )

    async def slow(call: Recorded) -> web.Response:
        import asyncio

        await asyncio.sleep(2)
        return web.Response(text="<title>Slow</title>", content_type="text/html")

    page.route("GET", "/slow", slow)
    app = create_app(settings)
    async with started(app, settings=settings) as res:
        for path in ("/huge", "/slow"):
            answer = await bookmarks.add(res, make_request("bookmark add", f"{page.url}{path}", roles=MOD))
            assert text_of(answer).endswith("saved (no title found).")
        inward = await bookmarks.add(res, make_request("bookmark add", f"{page.url}/redirect", roles=MOD))
        assert text_of(inward).endswith("saved (no title found).")
    assert [r.path for r in page.requests] == ["/huge", "/slow", "/redirect"]  # never /inside
