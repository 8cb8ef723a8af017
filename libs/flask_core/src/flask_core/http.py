"""The shared outbound HTTP client (ARCHITECTURE §3 `http`, §7, PITFALLS httpx 0.28).

httpx is the API; the transport is chosen here: requests to this process's own address
(`settings.self_url`) go in-process through `httpx.ASGITransport(local_app)` when the
single-process dispatcher is set as `local_app`; everything else goes through one pooled
HTTP/1.1 transport on h11 (`flask_core.transport`, decision 0089).
Every call has a total time budget (retries included), retries with exponential backoff
and full jitter for idempotent calls, a circuit breaker per downstream, and carries the
request id and, for internal calls, a service token.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from flask_core.auth import TokenCache
from flask_core.breaker import BreakerState, CircuitBreaker
from flask_core.errors import DependencyUnavailable
from flask_core.logging import get_logger
from flask_core.metrics import histogram
from flask_core.settings import CoreSettings
from flask_core.transport import H11Transport

__all__ = [
    "IDEMPOTENT_METHODS",
    "ASGIApp",
    "BreakerState",
    "CircuitBreaker",
    "HttpClient",
    "ServiceClient",
    "request_id_var",
    "retry_after_seconds",
]

#: The current request's id; the app factory sets it per request, the client sends it on.
request_id_var: ContextVar[str | None] = ContextVar("waddlebot_request_id", default=None)

#: An ASGI application (the single-process dispatcher, or any Quart app).
type ASGIApp = Callable[..., Awaitable[None]]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
DEFAULT_RETRIES = 2
BACKOFF_BASE = 0.1
BACKOFF_CAP = 2.0
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CONNECTION_ERRORS = (httpx.TransportError, OSError)

log = get_logger(__name__)
HTTP_CLIENT_DURATION = histogram(
    "waddlebot_http_client_duration_seconds",
    "Outbound HTTP calls: whole-call duration including retries",
    ("target", "status"),
)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _host_key(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port else url.host


def _failure_reason(exc: BaseException) -> str:
    """'timeout' or 'connection' (a refused port, a reset, a TLS failure, a broken answer)."""
    return "timeout" if isinstance(exc, TimeoutError | httpx.TimeoutException) else "connection"


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The response's Retry-After (seconds or an HTTP date) in seconds, if it has one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class ServiceClient:
    """The shared client bound to one caller identity (the `iss` of its service tokens)."""

    __slots__ = ("http", "issuer")

    def __init__(self, http: HttpClient, issuer: str) -> None:
        self.http = http
        self.issuer = issuer

    async def request(
        self,
        method: str,
        url: str,
        *,
        audience: str | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: Any = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a total budget, enforced inside
        retries: int | None = None,
        breaker_key: str | None = None,
    ) -> httpx.Response:
        """One call within `timeout` seconds in total. 4xx are returned; connection
        failures, timeouts, an open circuit and 5xx raise DependencyUnavailable (503)."""
        http = self.http
        if http.closed:
            raise RuntimeError("HttpClient is closed")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if json is not None and content is not None:
            raise ValueError("pass json or content, not both")
        method = method.upper()
        parsed = httpx.URL(url)
        key = breaker_key or _host_key(parsed)
        if retries is None:
            retries = DEFAULT_RETRIES if method in IDEMPOTENT_METHODS else 0
        call = _Call(
            http, self.issuer, method, parsed, key, audience, json, content, headers, params,
            timeout,
        )  # fmt: skip
        label = "error"
        try:
            response = await call.run(1 + max(0, retries))
            label = str(response.status_code)
            return response
        except DependencyUnavailable as exc:
            label = str(exc.details.get("status") or exc.details["reason"])
            raise
        except asyncio.CancelledError:
            label = "cancelled"
            raise
        finally:
            HTTP_CLIENT_DURATION.labels(self.issuer, key, label).observe(call.elapsed())

    async def call(
        self,
        target: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        params: Any = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a total budget, enforced inside
        retries: int | None = None,
    ) -> httpx.Response:
        """Call the internal API of service `target` (a prefix) with a service token."""
        url = self.http.settings.service_url(target) + path
        return await self.request(
            method, url, audience=target, json=json, headers=headers, params=params,
            timeout=timeout, retries=retries, breaker_key=target,
        )  # fmt: skip


class HttpClient:
    """One per process (in `Resources`); hand out `for_service(prefix)` to callers."""

    def __init__(
        self,
        settings: CoreSettings,
        *,
        local_app: ASGIApp | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        service: str = "waddlebot",
        failure_threshold: int = 5,
        reset_timeout: float = 10.0,
        limits: httpx.Limits | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.tokens = TokenCache()
        self.breakers: dict[str, CircuitBreaker] = {}
        if transport is None:
            default = httpx.Limits(max_connections=256, max_keepalive_connections=64)
            transport = H11Transport(limits=limits or default)
        self._remote: httpx.AsyncBaseTransport = transport
        self._self_origin = _origin(httpx.URL(settings.self_url))
        self._local: httpx.AsyncBaseTransport | None = None
        self._local_app: ASGIApp | None = None
        self._clients: dict[str, ServiceClient] = {}
        self._origins: dict[str, tuple[str, str, int | None]] = {}
        self._closed = False
        self.local_app = local_app

    @property
    def local_app(self) -> ASGIApp | None:
        return self._local_app

    @local_app.setter
    def local_app(self, app: ASGIApp | None) -> None:
        self._local_app = app
        self._local = (
            None
            if app is None
            else httpx.ASGITransport(app=cast(Any, app), raise_app_exceptions=False, client=("127.0.0.1", 0))
        )

    def local_service(self, target: str) -> Any | None:
        """The app serving `target` in this very process, when a call to it would stay here
        (the same rule as the transport's: its URL is the process's own address)."""
        if self._local_app is None:
            return None
        if self._origin_of(self.settings.service_url(target)) != self._self_origin:
            return None
        apps = getattr(self._local_app, "apps", None)
        return apps.get(target) if isinstance(apps, dict) else None

    def _origin_of(self, base_url: str) -> tuple[str, str, int | None]:
        """The origin of a base URL, parsed once per URL (asked on every module call)."""
        found = self._origins.get(base_url)
        if found is None:
            if len(self._origins) > 256:
                self._origins.clear()
            found = self._origins[base_url] = _origin(httpx.URL(base_url))
        return found

    def for_service(self, issuer: str) -> ServiceClient:
        client = self._clients.get(issuer)
        if client is None:
            client = self._clients[issuer] = ServiceClient(self, issuer)
        return client

    def breaker(self, key: str) -> CircuitBreaker:
        found = self.breakers.get(key)
        if found is None:
            found = self.breakers[key] = CircuitBreaker(
                key,
                failure_threshold=self.failure_threshold,
                reset_timeout=self.reset_timeout,
                service=self.service,
            )
        return found

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._remote.aclose()

    @property
    def closed(self) -> bool:
        return self._closed

    def _transport_for(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        if self._local is not None and _origin(url) == self._self_origin:
            return self._local
        return self._remote


@dataclass(slots=True)
class _Call:
    """One logical call: attempts, backoff and breaker book-keeping within one budget."""

    client: HttpClient
    issuer: str
    method: str
    url: httpx.URL
    key: str
    audience: str | None
    json: Any
    content: bytes | None
    headers: dict[str, str] | None
    params: Any
    timeout: float
    loop: asyncio.AbstractEventLoop = field(init=False)
    start: float = field(init=False)
    deadline: float = field(init=False)
    breaker: CircuitBreaker = field(init=False)
    transport: httpx.AsyncBaseTransport = field(init=False)

    def __post_init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.start = self.loop.time()
        self.deadline = self.start + self.timeout
        self.breaker = self.client.breaker(self.key)
        self.transport = self.client._transport_for(self.url)

    def elapsed(self) -> float:
        return self.loop.time() - self.start

    def build(self) -> httpx.Request:
        headers = httpx.Headers({"User-Agent": f"waddlebot/{self.issuer}"})
        request_id = request_id_var.get()
        if request_id:
            headers["X-Request-ID"] = request_id
        if self.headers:
            headers.update(self.headers)
        if self.audience:
            secret = self.client.settings.secret("internal")
            token = self.client.tokens.get(secret, self.issuer, self.audience)
            headers["Authorization"] = f"Bearer {token}"
        remaining = max(0.001, self.deadline - self.loop.time())
        return httpx.Request(
            self.method, self.url, params=self.params, headers=headers, json=self.json,
            content=self.content,
            extensions={"timeout": dict.fromkeys(("connect", "read", "write", "pool"), remaining)},
        )  # fmt: skip

    async def run(self, attempts: int) -> httpx.Response:
        for attempt in range(1, attempts + 1):
            more = attempt < attempts
            if not self.breaker.allow():
                raise self.unavailable("circuit_open", attempt - 1)
            request = self.build()
            budget = asyncio.timeout_at(self.deadline)
            try:
                async with budget:
                    response = await self.transport.handle_async_request(request)
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
            except (TimeoutError, *_CONNECTION_ERRORS) as exc:
                self.breaker.record_failure()
                if budget.expired():
                    raise self.unavailable("timeout", attempt) from None
                reason = _failure_reason(exc)
                if more and await self.backoff(attempt, None, reason):
                    continue
                raise self.unavailable(reason, attempt) from exc
            except BaseException:  # cancelled, or a bug: no verdict, free a half-open trial
                self.breaker.release()
                raise
            response.request = request
            status = response.status_code
            if status >= 500:
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            if more and (status in RETRY_STATUSES or status == 429):
                after = retry_after_seconds(response) if status in (429, 503) else None
                if (status != 429 or after is not None) and await self.backoff(attempt, after, str(status)):
                    continue
            if status >= 500:
                raise self.unavailable("status", attempt, status)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def backoff(self, attempt: int, after: float | None, why: str) -> bool:
        """Sleep before the next attempt if it fits the budget; False when it does not."""
        if after is None:
            after = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))
        if self.loop.time() + after >= self.deadline:
            return False
        log.info(
            "http.retry", target=self.key, method=self.method, attempt=attempt, reason=why,
            delay=round(after, 3),
        )  # fmt: skip
        await asyncio.sleep(after)
        return True

    def unavailable(self, reason: str, attempts: int, status: int | None = None) -> DependencyUnavailable:
        details: dict[str, Any] = {"target": self.key, "reason": reason}
        if status is not None:
            details["status"] = status
        if reason == "circuit_open":
            details["retry_in"] = round(self.breaker.retry_in(), 3)
        log.warning(
            "http.dependency_unavailable", target=self.key, method=self.method, reason=reason,
            status=status, attempts=attempts, elapsed=round(self.elapsed(), 3),
        )  # fmt: skip
        return DependencyUnavailable(f"{self.key} is unavailable", details=details)
