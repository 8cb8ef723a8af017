"""Fetch a web page that a user named, without letting them aim the server inward (SSRF).

    await fetch_title(url, allowed_networks=(), timeout=3.0) -> str | None

The guard, for every hop (the URL and each redirect):
- only `http` and `https`;
- the host is resolved ONCE and every resolved address is checked: loopback, private,
  link-local, multicast, reserved, unspecified, shared (100.64/10), IPv4-mapped,
  6to4, Teredo and NAT64 IPv6, and cloud metadata addresses are refused; the request
  then connects to the checked address itself (the Host header and TLS name stay the
  host's), so a second DNS answer cannot point it elsewhere (no rebinding);
- at most 3 redirects, 256 KiB of body and 3 s in all; anything larger or slower is
  abandoned, not truncated.
The title is the text of the first `<title>`, entities decoded, whitespace collapsed,
at most 200 characters: plain text, never HTML. Every refusal or failure answers None
(logged as `safe_fetch.refused` / `safe_fetch.failed` with the reason).

`allowed_networks` exempts networks from the address check and exists for tests (a
fake page on 127.0.0.1); services default it to none.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from .logging import get_logger

log = get_logger(__name__)
MAX_BYTES = 256 * 1024
MAX_REDIRECTS = 3
TIMEOUT = 3.0
TITLE_MAX_LENGTH = 200
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

#: Refused even where the address looks public: cloud metadata services and friends.
BLOCKED: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.169.254/32",  # AWS, GCP, Azure, OpenStack metadata
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "100.64.0.0/10",  # shared address space (carrier NAT)
        "192.0.0.0/24",
        "198.18.0.0/15",  # benchmarking
        "64:ff9b::/96",  # NAT64: an IPv4 address inside
        "64:ff9b:1::/48",
    )
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


class Refused(Exception):
    """The URL or an address it leads to may not be fetched."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def address_allowed(address: IPAddress, allowed: Sequence[Network] = ()) -> bool:
    """Whether a resolved address is a public one (or inside an explicitly allowed network)."""
    if any(address.version == net.version and address in net for net in allowed):
        return True
    if isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped is not None or address.sixtofour is not None or address.teredo is not None
    ):
        return False
    if any(address.version == net.version and address in net for net in BLOCKED):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (one lookup)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _TitleParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # inside <svg>: its <title> is not the page's
        self.inside = False
        self.parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.depth += 1
        elif tag == "title" and self.depth == 0 and not self.done:
            self.inside = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.depth:
            self.depth -= 1
        elif tag == "title" and self.inside:
            self.inside, self.done = False, True

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.parts.append(data)


def title_of(html: str) -> str | None:
    """The page title as plain text (entities decoded, whitespace collapsed), or None."""
    parser = _TitleParser()
    try:
        parser.feed(html)
        parser.close()
    except (ValueError, AssertionError):
        pass
    text = _SPACE.sub(" ", _CONTROL.sub(" ", "".join(parser.parts))).strip()
    if not text:
        return None
    return text if len(text) <= TITLE_MAX_LENGTH else text[: TITLE_MAX_LENGTH - 1].rstrip() + "…"


async def _checked_address(url: httpx.URL, allowed: Sequence[Network], resolve: Resolver) -> IPAddress:
    if url.scheme not in ("http", "https"):
        raise Refused("scheme")
    host = url.host
    if not host:
        raise Refused("no_host")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await resolve(host, port)]
        except (OSError, ValueError) as exc:
            raise Refused("dns") from exc
    if not addresses:
        raise Refused("dns")
    for address in addresses:
        if not address_allowed(address, allowed):
            raise Refused(f"address_not_public:{address}")
    return addresses[0]


async def _fetch(
    client: httpx.AsyncClient, url: str, allowed: Sequence[Network], resolve: Resolver, max_bytes: int
) -> str | None:
    for _hop in range(MAX_REDIRECTS + 1):
        parsed = httpx.URL(url)
        address = await _checked_address(parsed, allowed, resolve)
        bare = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
        host_header = bare if parsed.port is None else f"{bare}:{parsed.port}"
        target = parsed.copy_with(host=str(address))
        extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
        headers = {
            "Host": host_header,
            "Accept": "text/html,application/xhtml+xml",
            "User-Agent": "WaddleBot",
        }
        async with client.stream("GET", target, headers=headers, extensions=extensions) as response:
            if response.status_code in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    return None
                url = urljoin(url, location)
                continue
            if response.status_code != 200:
                raise Refused(f"status_{response.status_code}")
            kind = response.headers.get("content-type", "text/html").lower()
            if "html" not in kind:
                raise Refused("not_html")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise Refused("too_large")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise Refused("too_large")
            encoding = response.charset_encoding or "utf-8"
            try:
                text = body.decode(encoding, "replace")
            except LookupError:
                text = body.decode("utf-8", "replace")
            return title_of(text)
    raise Refused("too_many_redirects")


async def fetch_title(
    url: str,
    *,
    allowed_networks: Iterable[str] = (),
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - the whole fetch, DNS included
    max_bytes: int = MAX_BYTES,
    resolve: Resolver = system_resolve,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str | None:
    """The title of the page at `url`, or None when it is refused, fails or has none."""
    allowed = parse_networks(allowed_networks)
    try:
        async with (
            asyncio.timeout(timeout),
            httpx.AsyncClient(
                follow_redirects=False, trust_env=False, transport=transport, timeout=timeout
            ) as client,
        ):
            return await _fetch(client, url, allowed, resolve, max_bytes)
    except Refused as exc:
        log.info("safe_fetch.refused", reason=exc.reason)
    except TimeoutError:
        log.info("safe_fetch.failed", reason="timeout")
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        log.info("safe_fetch.failed", reason=type(exc).__name__)
    return None
