"""The shared outbound client: retries, budgets, breaker, tokens, request ids, routing.

The network is faked at the transport level (httpx.MockTransport), and the in-process
path goes through a real Quart app on httpx.ASGITransport.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest
from quart import Quart, jsonify, request

from flask_core.auth import current_service, require_service, verify_service_token
from flask_core.breaker import BreakerState, CircuitBreaker
from flask_core.errors import DependencyUnavailable, ServiceError
from flask_core.http import HttpClient, request_id_var, retry_after_seconds
from flask_core.metrics import REGISTRY
from flask_core.settings import CoreSettings
from flask_core.testing import TEST_SECRET, base_env

Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
REMOTE = "http://remote.test:9000"


class Recorder:
    """A fake downstream: answers from a script (last entry repeats) and records requests."""

    def __init__(self, *answers: int | httpx.Response | Exception, delay: float = 0.0) -> None:
        self.answers = list(answers) or [200]
        self.delay = delay
        self.requests: list[httpx.Request] = []

    @property
    def calls(self) -> int:
        return len(self.requests)

    async def __call__(self, req: httpx.Request) -> httpx.Response:
        self.requests.append(req)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            return httpx.Response(answer, json={"status": answer})
        return answer


@pytest.fixture
def http_settings(tmp_path: Path) -> CoreSettings:
    return CoreSettings(**base_env(tmp_path))


@pytest.fixture
async def make_client(http_settings: CoreSettings) -> AsyncIterator[Callable[..., HttpClient]]:
    made: list[HttpClient] = []

    def make(handler: Handler, **kwargs: Any) -> HttpClient:
        kwargs.setdefault("reset_timeout", 0.2)
        client = HttpClient(http_settings, transport=httpx.MockTransport(handler), **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


# --- retries -------------------------------------------------------------------------------


async def test_post_is_not_retried_but_get_is(make_client: Callable[..., HttpClient]) -> None:
    fake = Recorder(503)
    router = make_client(fake).for_service("router")
    with pytest.raises(DependencyUnavailable) as info:
        await router.request("POST", f"{REMOTE}/x", json={"a": 1})
    assert fake.calls == 1
    assert info.value.status == 503
    assert info.value.details == {"target": "remote.test:9000", "reason": "status", "status": 503}

    with pytest.raises(DependencyUnavailable):
        await router.request("GET", f"{REMOTE}/x")
    assert fake.calls == 1 + 3  # one try + two retries


async def test_get_recovers_after_a_transient_failure(
    make_client: Callable[..., HttpClient],
) -> None:
    fake = Recorder(502, httpx.ConnectError("refused"), 200)
    response = await make_client(fake).for_service("router").request("GET", f"{REMOTE}/x")
    assert response.status_code == 200
    assert response.json() == {"status": 200}
    assert fake.calls == 3


async def test_explicit_retries_for_an_idempotent_post(
    make_client: Callable[..., HttpClient],
) -> None:
    fake = Recorder(503, 504, 200)
    router = make_client(fake).for_service("router")
    response = await router.request("POST", f"{REMOTE}/x", json={"k": "v"}, retries=2)
    assert response.status_code == 200
    assert fake.calls == 3
    assert all(r.content == b'{"k":"v"}' for r in fake.requests)

    no_retry = Recorder(503)
    with pytest.raises(DependencyUnavailable):
        await make_client(no_retry).for_service("router").request("GET", REMOTE, retries=0)
    assert no_retry.calls == 1


async def test_connection_errors_retry_only_idempotent_calls(
    make_client: Callable[..., HttpClient],
) -> None:
    fake = Recorder(httpx.ConnectError("refused"))
    router = make_client(fake).for_service("router")
    with pytest.raises(DependencyUnavailable) as info:
        await router.request("POST", f"{REMOTE}/x")
    assert info.value.details["reason"] == "connection"
    assert fake.calls == 1
    with pytest.raises(DependencyUnavailable):
        await router.request("DELETE", f"{REMOTE}/x")
    assert fake.calls == 4


async def test_client_errors_are_returned_not_raised(
    make_client: Callable[..., HttpClient],
) -> None:
    fake = Recorder(404, 422, 429)
    router = make_client(fake).for_service("router")
    assert (await router.request("GET", f"{REMOTE}/a")).status_code == 404
    assert (await router.request("POST", f"{REMOTE}/b", json={})).status_code == 422
    assert (await router.request("GET", f"{REMOTE}/c")).status_code == 429  # no Retry-After
    assert fake.calls == 3


async def test_a_500_is_not_retried_and_raises(make_client: Callable[..., HttpClient]) -> None:
    fake = Recorder(500)
    with pytest.raises(DependencyUnavailable) as info:
        await make_client(fake).for_service("router").request("GET", f"{REMOTE}/x")
    assert info.value.details["status"] == 500
    assert fake.calls == 1


async def test_retry_after_is_honoured_when_it_fits(make_client: Callable[..., HttpClient]) -> None:
    fake = Recorder(httpx.Response(429, headers={"Retry-After": "1"}), 200)
    router = make_client(fake).for_service("router")
    started = time.monotonic()
    response = await router.request("GET", f"{REMOTE}/x", timeout=3)
    assert response.status_code == 200
    assert time.monotonic() - started >= 1.0  # waited it out (a lower bound cannot flake)
    assert fake.calls == 2


async def test_retry_after_beyond_the_budget_stops_at_once(
    make_client: Callable[..., HttpClient],
) -> None:
    busy = Recorder(httpx.Response(503, headers={"Retry-After": "600"}))
    router = make_client(busy).for_service("router")
    # Waiting would spend the whole 60 s budget: the guard only catches that, far from it.
    with pytest.raises(DependencyUnavailable):
        async with asyncio.timeout(10):
            await router.request("GET", f"{REMOTE}/x", timeout=60)
    assert busy.calls == 1

    limited = Recorder(httpx.Response(429, headers={"Retry-After": "30"}))
    response = await make_client(limited).for_service("router").request("GET", REMOTE, timeout=2)
    assert response.status_code == 429  # handed back to the caller
    assert limited.calls == 1


def test_retry_after_parsing() -> None:
    def parse(value: str) -> float | None:
        return retry_after_seconds(httpx.Response(503, headers={"Retry-After": value}))

    assert parse("3") == 3.0
    assert parse("-1") == 0.0
    assert parse("soon") is None
    assert parse("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds(httpx.Response(503)) is None


# --- budgets -------------------------------------------------------------------------------


async def test_timeout_is_a_total_budget(make_client: Callable[..., HttpClient]) -> None:
    slow = Recorder(200, delay=600.0)  # an answer would mean the budget was not enforced
    router = make_client(slow).for_service("router")
    with pytest.raises(DependencyUnavailable) as info:
        async with asyncio.timeout(10):  # a guard against hanging, not a measurement
            await router.request("GET", f"{REMOTE}/slow", timeout=0.3)
    assert info.value.details["reason"] == "timeout"
    assert slow.calls == 1  # the budget was spent: no retry


async def test_retries_never_exceed_the_budget(make_client: Callable[..., HttpClient]) -> None:
    fake = Recorder(503, delay=0.05)
    router = make_client(fake, failure_threshold=100).for_service("router")
    with pytest.raises(DependencyUnavailable):
        async with asyncio.timeout(10):  # a guard against hanging, not a measurement
            await router.request("GET", f"{REMOTE}/x", timeout=0.4, retries=50)
    assert 2 <= fake.calls < 50  # the budget, not the retry count, ended it


# --- circuit breaker -----------------------------------------------------------------------


def breaker_state(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state  # a call, so mypy does not narrow across assertions


def _state_gauge(service: str, target: str) -> float | None:
    labels = {"service": service, "target": target}
    return REGISTRY.get_sample_value("waddlebot_circuit_state", labels)


async def test_breaker_opens_fails_fast_half_opens_and_closes(
    make_client: Callable[..., HttpClient],
) -> None:
    fake = Recorder(500)
    http = make_client(fake, failure_threshold=3, service="breaker-test")
    router = http.for_service("router")
    for _ in range(3):
        with pytest.raises(DependencyUnavailable):
            await router.call("memories", "GET", "/memories/api/v1/x")
    breaker = http.breakers["memories"]
    assert breaker_state(breaker) is BreakerState.OPEN
    assert _state_gauge("breaker-test", "memories") == 1

    with pytest.raises(DependencyUnavailable) as info:
        await router.call("memories", "GET", "/memories/api/v1/x")
    assert info.value.details["reason"] == "circuit_open"
    assert fake.calls == 3  # failed fast, no network

    # Other downstreams are unaffected.
    fake.answers = [200]
    assert (await router.call("inventory", "GET", "/inventory/api/v1/x")).status_code == 200
    assert fake.calls == 4

    await asyncio.sleep(0.25)
    response = await router.call("memories", "GET", "/memories/api/v1/x")
    assert response.status_code == 200
    assert breaker_state(breaker) is BreakerState.CLOSED
    assert _state_gauge("breaker-test", "memories") == 0


async def test_breaker_reopens_when_the_trial_fails(
    make_client: Callable[..., HttpClient],
) -> None:
    fake = Recorder(503)
    http = make_client(fake, failure_threshold=2)
    router = http.for_service("router")
    with pytest.raises(DependencyUnavailable):
        await router.request("GET", f"{REMOTE}/x", retries=1)  # two failures
    breaker = http.breakers["remote.test:9000"]
    assert breaker_state(breaker) is BreakerState.OPEN
    await asyncio.sleep(0.25)
    with pytest.raises(DependencyUnavailable) as info:
        await router.request("GET", f"{REMOTE}/x")  # the trial fails, the retry fails fast
    assert info.value.details["reason"] == "circuit_open"
    assert fake.calls == 3
    assert breaker_state(breaker) is BreakerState.OPEN


async def test_half_open_lets_one_trial_through(make_client: Callable[..., HttpClient]) -> None:
    fake = Recorder(500)
    http = make_client(fake, failure_threshold=1)
    router = http.for_service("router")
    with pytest.raises(DependencyUnavailable):
        await router.request("POST", f"{REMOTE}/x")
    await asyncio.sleep(0.25)
    fake.answers, fake.delay = [200], 0.1
    results = await asyncio.gather(
        router.request("POST", f"{REMOTE}/x"),
        router.request("POST", f"{REMOTE}/x"),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["DependencyUnavailable", "Response"]
    assert fake.calls == 2
    assert breaker_state(http.breakers["remote.test:9000"]) is BreakerState.CLOSED


async def test_a_cancelled_trial_frees_the_half_open_slot(
    make_client: Callable[..., HttpClient],
) -> None:
    fake = Recorder(500)
    http = make_client(fake, failure_threshold=1)
    router = http.for_service("router")
    with pytest.raises(DependencyUnavailable):
        await router.request("GET", f"{REMOTE}/x", retries=0)
    await asyncio.sleep(0.25)
    fake.answers, fake.delay = [200], 5.0
    trial = asyncio.create_task(router.request("GET", f"{REMOTE}/x"))
    await asyncio.sleep(0.05)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    fake.delay = 0.0
    assert (await router.request("GET", f"{REMOTE}/x")).status_code == 200


# --- identity, request id, metrics --------------------------------------------------------


async def test_service_token_and_request_id(make_client: Callable[..., HttpClient]) -> None:
    fake = Recorder(200)
    router = make_client(fake).for_service("router")
    reset = request_id_var.set("req-abc123")
    try:
        await router.call("memories", "POST", "/memories/api/v1/commands/quote", json={})
    finally:
        request_id_var.reset(reset)
    sent = fake.requests[-1]
    assert str(sent.url) == "http://127.0.0.1:8080/memories/api/v1/commands/quote"
    assert sent.headers["X-Request-ID"] == "req-abc123"
    scheme, token = sent.headers["Authorization"].split(" ", 1)
    assert scheme == "Bearer"
    claims = verify_service_token(token, TEST_SECRET, "memories")
    assert claims["iss"] == "router" and claims["aud"] == "memories"

    await router.request("GET", f"{REMOTE}/public", headers={"Authorization": "Bearer platform"})
    plain = fake.requests[-1]
    assert plain.headers["Authorization"] == "Bearer platform"  # no service token
    assert "X-Request-ID" not in plain.headers  # no current request


async def test_service_token_is_cached(make_client: Callable[..., HttpClient]) -> None:
    fake = Recorder(200)
    http = make_client(fake)
    await http.for_service("router").call("memories", "GET", "/memories/api/v1/x")
    await http.for_service("router").call("memories", "GET", "/memories/api/v1/y")
    await http.for_service("cli").call("memories", "GET", "/memories/api/v1/z")
    tokens = [r.headers["Authorization"] for r in fake.requests]
    assert tokens[0] == tokens[1] != tokens[2]


async def test_calls_are_measured(make_client: Callable[..., HttpClient]) -> None:
    def count(status: str) -> float:
        labels = {"service": "metered", "target": "labels", "status": status}
        value = REGISTRY.get_sample_value("waddlebot_http_client_duration_seconds_count", labels)
        return value or 0.0

    before_ok, before_503 = count("200"), count("503")
    fake = Recorder(200)
    metered = make_client(fake).for_service("metered")
    await metered.call("labels", "GET", "/labels/api/v1/x")
    fake.answers = [503]
    with pytest.raises(DependencyUnavailable):
        await metered.call("labels", "POST", "/labels/api/v1/x")
    assert count("200") == before_ok + 1
    assert count("503") == before_503 + 1


# --- in-process routing --------------------------------------------------------------------


def local_app() -> Quart:
    app = Quart(__name__)
    app.config["WADDLEBOT_INTERNAL_SECRET"] = TEST_SECRET
    app.config["WADDLEBOT_PREFIX"] = "memories"

    @app.errorhandler(ServiceError)
    async def _error(exc: ServiceError) -> Any:
        return jsonify(exc.body(None)), exc.status

    @app.post("/memories/api/v1/echo")
    @require_service
    async def echo() -> Any:
        return {
            "caller": current_service(),
            "request_id": request.headers.get("X-Request-ID"),
            "body": await request.get_json(),
        }

    @app.get("/memories/api/v1/missing")
    async def missing() -> Any:
        return {"error": "nope"}, 404

    @app.get("/memories/api/v1/slow")
    async def slow() -> Any:
        await asyncio.sleep(2)
        return {}

    @app.get("/memories/api/v1/boom")
    async def boom() -> Any:
        raise RuntimeError("boom")

    return app


async def test_local_app_serves_self_url_in_process(
    make_client: Callable[..., HttpClient], http_settings: CoreSettings
) -> None:
    fake = Recorder(200)
    http = make_client(fake)
    app = local_app()
    http.local_app = app
    router = http.for_service("router")
    async with app.test_app():
        reset = request_id_var.set("rid-1")
        try:
            response = await router.call("memories", "POST", "/memories/api/v1/echo", json=[1])
        finally:
            request_id_var.reset(reset)
        assert response.status_code == 200
        assert response.json() == {"caller": "router", "request_id": "rid-1", "body": [1]}

        # No token → the app's own 401 comes back as a response, not an exception.
        refused = await router.request("POST", f"{http_settings.self_url}/memories/api/v1/echo")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
        assert (await router.call("memories", "GET", "/memories/api/v1/missing")).status_code == 404
        with pytest.raises(DependencyUnavailable):
            await router.call("memories", "GET", "/memories/api/v1/boom", retries=0)
        with pytest.raises(DependencyUnavailable):  # the slow route would answer 200 after 2 s
            await router.call("memories", "GET", "/memories/api/v1/slow", timeout=0.3)
        assert fake.calls == 0  # nothing left the process

        other = await router.request("GET", "http://127.0.0.1:8081/memories/api/v1/missing")
        assert other.status_code == 200 and fake.calls == 1  # another port: the network
        await router.request("GET", f"{REMOTE}/x")
        assert fake.calls == 2

    http.local_app = None
    await router.call("memories", "GET", "/memories/api/v1/missing")
    assert fake.calls == 3


async def test_closed_client_refuses_calls(make_client: Callable[..., HttpClient]) -> None:
    http = make_client(Recorder(200))
    await http.aclose()
    await http.aclose()  # idempotent
    with pytest.raises(RuntimeError):
        await http.for_service("router").request("GET", REMOTE)


async def test_default_transport_reaches_a_real_server(http_settings: CoreSettings) -> None:
    """The pooled aiohttp transport against a real local socket, and a refused port."""
    from aiohttp import web

    async def hello(req: web.Request) -> web.Response:
        return web.json_response({"rid": req.headers.get("X-Request-ID")})

    release = asyncio.Event()

    async def slow(req: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    server = web.Application()
    server.router.add_get("/hello", hello)
    server.router.add_get("/slow", slow)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    http = HttpClient(http_settings)
    try:
        router = http.for_service("router")
        reset = request_id_var.set("real-1")
        try:
            response = await router.request("GET", f"http://127.0.0.1:{port}/hello")
        finally:
            request_id_var.reset(reset)
        assert response.json() == {"rid": "real-1"}
        with pytest.raises(DependencyUnavailable) as info:  # /slow answers only once released
            await router.request("GET", f"http://127.0.0.1:{port}/slow", timeout=0.3)
        assert info.value.details["reason"] == "timeout"
        release.set()
        await runner.cleanup()
        with pytest.raises(DependencyUnavailable) as info:
            await router.request("GET", f"http://127.0.0.1:{port}/hello", retries=0)
        assert info.value.details["reason"] == "connection"
    finally:
        await http.aclose()
        await runner.cleanup()
