"""The SSRF guard of flask_core.safe_fetch: nothing inward is ever requested."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from aiohttp import web

from flask_core.safe_fetch import address_allowed, fetch_title, title_of
from flask_core.testing import FakeHttpServer, Recorded

PUBLIC = "93.184.215.14"  # a global address; only the recording transport ever "answers" it
PAGE = "<html><head><title>  Waddle &amp; Friends\n Stream </title></head><body>hi</body></html>"


class Recording:
    """An httpx transport that records every request and answers from `answers` by path."""

    def __init__(self, answers: dict[str, httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answers = answers or {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.get(request.url.path)
        if answer is not None:
            return answer
        return httpx.Response(200, headers={"content-type": "text/html; charset=utf-8"}, text=PAGE)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


async def resolve_to(*addresses: str) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


async def test_a_public_page_gives_its_title_as_text_with_the_host_kept() -> None:
    rec = Recording()
    title = await fetch_title(
        "https://stream.example/about", transport=rec.transport, resolve=await resolve_to(PUBLIC)
    )
    assert title == "Waddle & Friends Stream"
    [request] = rec.requests
    assert request.url.host == PUBLIC  # connects to the address it checked: no second lookup
    assert request.headers["host"] == "stream.example"
    assert request.extensions["sni_hostname"] == "stream.example"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1.2.3:8080/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://10.255.255.254/",
        "http://172.16.0.1/",
        "http://172.31.255.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",  # 169.254.169.254, IPv4-mapped
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "ftp://stream.example/",
        "file:///etc/passwd",
        "gopher://stream.example/",
        "http:///nohost",
    ],
)
async def test_inward_addresses_and_other_schemes_are_never_requested(url: str) -> None:
    rec = Recording()
    assert await fetch_title(url, transport=rec.transport, resolve=await resolve_to(PUBLIC)) is None
    assert rec.requests == []


@pytest.mark.parametrize(
    "addresses", [["127.0.0.1"], [PUBLIC, "127.0.0.1"], ["::1"], [PUBLIC, "10.1.2.3"], ["169.254.169.254"]]
)
async def test_a_hostname_with_any_inward_address_is_refused(addresses: list[str]) -> None:
    rec = Recording()
    resolve = await resolve_to(*addresses)
    assert await fetch_title("http://evil.example/", transport=rec.transport, resolve=resolve) is None
    assert rec.requests == []


async def test_localhost_through_the_system_resolver_is_refused() -> None:
    rec = Recording()
    assert await fetch_title("http://localhost/", transport=rec.transport) is None
    assert rec.requests == []


async def test_a_redirect_is_checked_again_and_one_to_loopback_is_not_followed(
    fake_http: FakeHttpServer,
) -> None:
    rec = Recording({"/go": httpx.Response(302, headers={"location": f"{fake_http.url}/inside"})})
    # the public hop goes through the recording transport; the loopback one would need the socket
    assert await fetch_title(f"http://{PUBLIC}/go", transport=rec.transport) is None
    assert [r.url.path for r in rec.requests] == ["/go"]
    assert fake_http.requests == []


async def test_at_most_three_redirects() -> None:
    hops = {f"/{n}": httpx.Response(301, headers={"location": f"/{n + 1}"}) for n in range(4)}
    rec = Recording(hops)
    assert await fetch_title(f"http://{PUBLIC}/0", transport=rec.transport) is None
    assert [r.url.path for r in rec.requests] == ["/0", "/1", "/2", "/3"]
    rec = Recording({k: v for k, v in hops.items() if k != "/3"})  # 3 redirects, then a page
    assert await fetch_title(f"http://{PUBLIC}/0", transport=rec.transport) == "Waddle & Friends Stream"


async def test_an_oversized_page_gives_no_title() -> None:
    big = "<title>Big</title>" + "x" * (256 * 1024)
    rec = Recording({"/": httpx.Response(200, headers={"content-type": "text/html"}, text=big)})
    assert await fetch_title(f"http://{PUBLIC}/", transport=rec.transport) is None
    fits = "<title>Fits</title>" + "x" * (200 * 1024)
    rec = Recording({"/": httpx.Response(200, headers={"content-type": "text/html"}, text=fits)})
    assert await fetch_title(f"http://{PUBLIC}/", transport=rec.transport) == "Fits"


async def test_not_html_gives_no_title() -> None:
    rec = Recording(
        {"/": httpx.Response(200, headers={"content-type": "image/png"}, content=b"<title>x</title>")}
    )
    assert await fetch_title(f"http://{PUBLIC}/", transport=rec.transport) is None


async def test_a_real_page_on_an_allowed_test_network_and_the_same_refused_by_default(
    fake_http: FakeHttpServer,
) -> None:
    async def page(call: Recorded) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    fake_http.route("GET", "/page", page)
    assert await fetch_title(f"{fake_http.url}/page") is None
    assert fake_http.requests == []  # the default allows no inward network
    assert (
        await fetch_title(f"{fake_http.url}/page", allowed_networks=["127.0.0.1/32"])
        == "Waddle & Friends Stream"
    )
    assert len(fake_http.requests) == 1


async def test_a_slow_or_endless_page_is_abandoned_in_time(fake_http: FakeHttpServer) -> None:
    async def slow(call: Recorded) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text=PAGE, content_type="text/html")

    fake_http.route("GET", "/slow", slow)
    started = time.monotonic()
    title = await fetch_title(f"{fake_http.url}/slow", allowed_networks=["127.0.0.0/8"], timeout=0.5)
    assert title is None
    assert time.monotonic() - started < 2.0


def test_address_rules() -> None:
    import ipaddress

    assert address_allowed(ipaddress.ip_address(PUBLIC))
    assert address_allowed(ipaddress.ip_address("2606:4700::1111"))
    assert not address_allowed(ipaddress.ip_address("127.0.0.1"))
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), [ipaddress.ip_network("127.0.0.0/8")])
    assert not address_allowed(ipaddress.ip_address("2002:7f00:1::"))  # 6to4 of 127.0.0.1


def test_titles_are_plain_text() -> None:
    assert title_of("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>") == "<script>alert(1)</script>"
    assert title_of("<svg><title>icon</title></svg><title>Page</title>") == "Page"
    assert title_of("<p>no title</p>") is None
    assert title_of("<title>" + "a" * 500 + "</title>") == "a" * 199 + "…"
