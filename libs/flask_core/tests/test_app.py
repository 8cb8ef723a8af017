from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import BaseModel, Field
from quart import Blueprint, Quart
from quart_schema import validate_request

from flask_core.app import create_app, resources
from flask_core.errors import Conflict
from flask_core.testing import started


class Greeting(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    times: int = Field(default=1, ge=1, le=5)


def echo_blueprint() -> Blueprint:
    bp = Blueprint("echo", __name__)

    @bp.post("/api/v1/greet")
    @validate_request(Greeting)
    async def greet(data: Greeting) -> Any:
        return {"text": " ".join([f"hi {data.name}"] * data.times)}

    @bp.get("/api/v1/boom")
    async def boom() -> Any:
        raise RuntimeError("secret detail 42")

    @bp.get("/api/v1/conflict")
    async def conflict() -> Any:
        raise Conflict("already there", details={"id": 3})

    @bp.get("/api/v1/whoami")
    async def whoami() -> Any:
        res = resources()
        return {"db": id(res.db), "cache": id(res.cache), "settings": type(res.settings).__name__}

    return bp


def make_app(settings: Any, prefix: str = "echo", **kw: Any) -> Quart:
    return create_app(prefix, settings, [echo_blueprint()], prefix, **kw)


@pytest.fixture
def app(settings: Any) -> Quart:
    return make_app(settings)


async def test_valid_request_is_answered(client: Any) -> None:
    response = await client.post("/echo/api/v1/greet", json={"name": "amy", "times": 2})
    assert response.status_code == 200
    assert await response.get_json() == {"text": "hi amy hi amy"}


def assert_error(body: dict[str, Any], code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["code"] == code
    assert body["error"]["request_id"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/echo/api/v1/nope", {}, 404, "not_found"),
        ("GET", "/nothing-here", {}, 404, "not_found"),
        ("DELETE", "/echo/api/v1/greet", {}, 405, "method_not_allowed"),
        (
            "POST",
            "/echo/api/v1/greet",
            {"data": "name=amy", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            415,
            "unsupported_media_type",
        ),
        (
            "POST",
            "/echo/api/v1/greet",
            {"data": "{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
        ("POST", "/echo/api/v1/greet", {"json": {"name": "", "times": 9}}, 422, "validation_error"),
        ("POST", "/echo/api/v1/greet", {"json": ["a list"]}, 422, "validation_error"),
        ("GET", "/echo/api/v1/conflict", {}, 409, "conflict"),
    ],
    ids=["404", "404-root", "405", "415", "400-invalid-json", "422", "422-wrong-type", "409-domain"],
)
async def test_errors_have_one_shape(
    client: Any, method: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    response = await client.open(path, method=method, **kwargs)
    assert response.status_code == status
    assert_error(await response.get_json(), code)


async def test_validation_error_lists_the_fields(client: Any) -> None:
    response = await client.post("/echo/api/v1/greet", json={"name": "", "times": 9})
    details = (await response.get_json())["error"]["details"]
    assert sorted(e["loc"][-1] for e in details["errors"]) == ["name", "times"]


async def test_body_over_one_mib_is_413(client: Any) -> None:
    big = '{"name": "' + "x" * (1024 * 1024 + 10) + '"}'
    response = await client.post("/echo/api/v1/greet", data=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert_error(await response.get_json(), "payload_too_large")


async def test_500_is_generic_and_the_traceback_only_logged(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/echo/api/v1/boom")
    assert response.status_code == 500
    body = await response.get_json()
    assert_error(body, "internal")
    assert "secret detail" not in str(body)
    assert any(
        "secret detail 42" in (r.exc_text or "") or (r.exc_info and "secret detail 42" in str(r.exc_info[1]))
        for r in caplog.records
    )


async def test_request_id_is_echoed_or_generated(client: Any) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "req-123"})
    assert given.headers["X-Request-ID"] == "req-123"
    made = await client.get("/healthz")
    assert len(made.headers["X-Request-ID"]) == 32
    hostile = await client.get("/echo/api/v1/nope", headers={"X-Request-ID": "<script>"})
    assert hostile.headers["X-Request-ID"] != "<script>"
    assert (await hostile.get_json())["error"]["request_id"] == hostile.headers["X-Request-ID"]


async def test_healthz_and_readyz(client: Any) -> None:
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert (await ready.get_json())["checks"]["database"]["ok"] is True


async def test_readyz_fails_when_redis_is_unreachable(make_settings: Any) -> None:
    app = make_app(make_settings(redis_url="redis://127.0.0.1:1/0"))
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        response = await app.test_client().get("/readyz")
    assert response.status_code == 503
    body = await response.get_json()
    assert_error(body, "dependency_unavailable")
    assert body["error"]["details"]["checks"]["redis"]["ok"] is False


async def test_readyz_passes_with_real_redis(make_settings: Any, redis_url: str) -> None:
    app = make_app(make_settings(redis_url=redis_url))
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        response = await app.test_client().get("/readyz")
    assert response.status_code == 200


async def test_metrics_count_requests(client: Any) -> None:
    def count(text: str) -> float:
        for line in text.splitlines():
            if (
                line.startswith("waddlebot_http_requests_total{")
                and 'route="/echo/api/v1/greet"' in line
                and 'status="200"' in line
                and 'service="echo"' in line
            ):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = count(await (await client.get("/metrics")).get_data(as_text=True))
    for _ in range(3):
        await client.post("/echo/api/v1/greet", json={"name": "amy"})
    after = count(await (await client.get("/metrics")).get_data(as_text=True))
    assert after - before == 3


async def test_openapi_lives_under_the_prefix(client: Any) -> None:
    spec = await client.get("/echo/openapi.json")
    assert spec.status_code == 200
    assert "/echo/api/v1/greet" in (await spec.get_json())["paths"]
    assert (await client.get("/echo/docs")).status_code == 200
    assert (await client.get("/docs")).status_code == 404
    assert (await client.get("/redocs")).status_code == 404


async def test_two_apps_share_one_resources(settings: Any) -> None:
    first = make_app(settings, "alpha")
    second = make_app(settings, "beta")
    async with started(first, second, settings=settings) as res:
        a = await (await first.test_client().get("/alpha/api/v1/whoami")).get_json()
        b = await (await second.test_client().get("/beta/api/v1/whoami")).get_json()
    assert a["db"] == b["db"] == id(res.db)
    assert a["cache"] == b["cache"] == id(res.cache)


async def test_each_app_sees_its_own_settings_on_shared_resources(settings: Any, make_settings: Any) -> None:
    class OwnSettings(type(settings)):  # type: ignore[misc]
        own_field: int = 7

    own = make_settings(OwnSettings)
    first = make_app(settings, "alpha")
    second = make_app(own, "beta")
    async with started(first, second, settings=settings):
        a = await (await first.test_client().get("/alpha/api/v1/whoami")).get_json()
        b = await (await second.test_client().get("/beta/api/v1/whoami")).get_json()
    assert (a["settings"], b["settings"]) == ("CoreSettings", "OwnSettings")
    assert a["db"] == b["db"]


async def test_app_alone_opens_and_closes_its_own_resources(settings: Any) -> None:
    app = make_app(settings)
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/readyz")
        assert response.status_code == 200
        assert "waddlebot.resources" in app.extensions
    assert "waddlebot.resources" not in app.extensions


async def test_service_cleanup_runs_before_owned_resources_close(settings: Any) -> None:
    app = make_app(settings)
    seen: list[bool] = []

    @app.after_serving
    async def service_cleanup() -> None:
        res = resources(app)  # still open here
        await res.db.ping()
        seen.append(True)

    async with app.test_app():
        pass
    assert seen == [True]
    assert "waddlebot.resources" not in app.extensions
