"""A collector's shared machinery: app wiring, status endpoint, runtime life, helpers.

The collector here is a stand-in (an outbox, a worker and a delivery service whose
platform is a list); the real ones are tested in collectors/*. The recording fake
server their tests use is tested at the end.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from quart import Blueprint

from flask_core import outbox
from flask_core.collector import (
    SERVICE_KEY,
    CollectorRuntime,
    cli_settings,
    create_collector_app,
    current_runtime,
    json_object,
    missing_settings,
    run_command,
    runtime_key,
)
from flask_core.delivery import DeliveryService, DeliverySettings, fixed_rate
from flask_core.errors import BadRequest, DependencyUnavailable
from flask_core.events import Reply
from flask_core.outbox import OutboxSettings, OutboxWorker, open_outbox
from flask_core.resources import Resources
from flask_core.testing import FakeHttpServer, base_env, service_headers, started


class StandInSettings(OutboxSettings, DeliverySettings):
    standin_token: str | None = None


@dataclass(kw_only=True)
class StandInRuntime(CollectorRuntime):
    sent: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, res: Resources, platform: str) -> StandInRuntime:
        box = open_outbox(res, platform)
        sent: list[str] = []

        async def send(channel_id: str, text: str, reply: Reply) -> None:
            sent.append(text)

        delivery = DeliveryService(res, platform, send, fixed_rate("10/1s"), 500)
        return cls(outbox=box, worker=OutboxWorker(box), delivery=delivery, sent=sent)

    def start(self) -> None:
        super().start()
        self.events.append("started")

    async def stop(self) -> None:
        self.events.append("stopping")
        await super().stop()


@pytest.fixture
def platform() -> str:
    return "c" + uuid.uuid4().hex[:8]


def standin_app(make_settings: Any, platform: str, built: list[StandInRuntime], **values: Any) -> Any:
    settings = make_settings(StandInSettings, **values)
    bp = Blueprint(platform, __name__)

    @bp.get("/whoami")
    async def whoami() -> Any:
        return {"sent": current_runtime(StandInRuntime).sent}

    def build(res: Resources) -> StandInRuntime:
        built.append(StandInRuntime.build(res, platform))
        return built[-1]

    return create_collector_app(
        platform, settings, bp, build, required=["standin_token"], models=[outbox.define_tables]
    )


async def test_an_enabled_collector_runs_its_runtime_while_serving(make_settings: Any, platform: str) -> None:
    built: list[StandInRuntime] = []
    app = standin_app(make_settings, platform, built, standin_token="t")
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        [rt] = built
        assert app.extensions[runtime_key(platform)] is rt
        assert app.extensions[SERVICE_KEY] is rt.delivery
        assert rt.worker.running and rt.events == ["started"]
        client = app.test_client()
        ready = (await (await client.get("/readyz")).get_json())["checks"]
        assert ready[f"{platform}_outbox"] == {
            "ok": True,
            "required": False,
            "detail": "workers running, 0 pending in, 0 pending out",
        }
        assert ready[platform] == {"ok": True, "required": False, "detail": "enabled"}
        status = await client.get(f"/{platform}/api/v1/status", headers=service_headers(platform))
        assert await status.get_json() == {
            "status": "enabled", "missing": [], "outbox_pending": 0, "outbox_worker": True,
            "delivery_pending": 0, "dead_letters": 0,
        }  # fmt: skip
        assert (await client.get(f"/{platform}/api/v1/status")).status_code == 401
        body = {"invocation_id": "i-1", "server_id": "s", "channel_id": "c", "reply": {"kind": "chat"},
                "responses": [{"type": "chat", "text": "hello"}]}  # fmt: skip
        posted = await client.post(
            f"/{platform}/api/v1/messages", json=body, headers=service_headers(platform)
        )
        assert posted.status_code == 202
        await rt.delivery.join()
        assert await (await client.get(f"/{platform}/whoami")).get_json() == {"sent": ["hello"]}
    assert rt.events == ["started", "stopping"]
    assert not rt.worker.running
    assert runtime_key(platform) not in app.extensions and SERVICE_KEY not in app.extensions


async def test_a_collector_without_its_settings_builds_nothing_and_says_why(
    make_settings: Any, platform: str
) -> None:
    built: list[StandInRuntime] = []
    app = standin_app(make_settings, platform, built)
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        client = app.test_client()
        status = await client.get(f"/{platform}/api/v1/status", headers=service_headers(platform))
        assert await status.get_json() == {
            "status": "disabled", "missing": ["STANDIN_TOKEN"], "outbox_pending": None, "outbox_worker": False,
            "delivery_pending": None, "dead_letters": None,
        }  # fmt: skip
        mine = await client.get(f"/{platform}/whoami")
        assert mine.status_code == 503
        assert (await mine.get_json())["error"]["details"]["missing"] == ["STANDIN_TOKEN"]
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        checks = (await ready.get_json())["checks"]
        assert checks[f"{platform}_outbox"] == {"ok": False, "required": False, "detail": "not running"}
    assert built == []


async def test_a_request_before_the_runtime_exists_is_told_it_is_starting(
    make_settings: Any, platform: str
) -> None:
    app = standin_app(make_settings, platform, [], standin_token="t")
    async with app.app_context():
        with pytest.raises(DependencyUnavailable, match="is starting"):
            current_runtime(StandInRuntime)


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"[not json", "invalid_json"), (b"[1, 2]", "validation_error")],
    ids=["not_json", "not_an_object"],
)
def test_a_webhook_body_must_be_a_json_object(body: bytes, code: str) -> None:
    with pytest.raises(BadRequest) as caught:
        json_object(body, "interaction")
    assert caught.value.code == code
    assert caught.value.message.startswith("interaction is not")
    assert json_object(b'{"a": 1}', "interaction") == {"a": 1}


def test_commands_name_the_missing_settings(make_settings: Any) -> None:
    said: list[str] = []
    settings = make_settings(StandInSettings)
    assert missing_settings("standin", settings, ["standin_token"], said.append)
    assert said == ["standin: missing settings: STANDIN_TOKEN"]
    assert not missing_settings(
        "standin", make_settings(StandInSettings, standin_token="t"), ["standin_token"], said.append
    )


def test_commands_refuse_invalid_settings_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data_dir: Any
) -> None:
    for name, value in base_env(data_dir).items():
        monkeypatch.setenv(name.upper(), str(value))
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "many")
    assert cli_settings(StandInSettings) is None
    said = capsys.readouterr().err
    assert said.startswith("waddlebot: invalid settings: ") and said.count("\n") == 1
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "4")
    loaded = cli_settings(StandInSettings)
    assert loaded is not None and loaded.outbox_batch_size == 4


def test_a_command_failure_is_one_line_and_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    async def works() -> int:
        return 0

    async def fails() -> int:
        raise ValueError("no such channel")

    assert run_command("standin", works()) == 0
    assert run_command("standin", fails(), (ValueError,)) == 1
    assert capsys.readouterr().err == "waddlebot standin: no such channel\n"
    with pytest.raises(ValueError):
        run_command("standin", fails(), (KeyError,))


# --- the recording fake server ------------------------------------------------------------------


async def test_the_fake_server_answers_scripts_then_routes_then_its_default(
    fake_http: FakeHttpServer,
) -> None:
    async def hello(call: Any) -> web.Response:
        return web.json_response({"hello": call.json["name"]})

    fake_http.route("POST", "/hello", hello)
    fake_http.script("/hello", web.json_response({"busy": True}, status=429), method="POST")
    fake_http.script("/hello", lambda: web.Response(status=503))
    async with httpx.AsyncClient(base_url=fake_http.url) as http:
        statuses = [(await http.post("/hello", json={"name": "amy"})).status_code for _ in range(3)]
        last = await http.post("/hello", json={"name": "bo"})
        missing = await http.get("/nowhere", params={"q": "1"})
    assert statuses == [429, 503, 200]
    assert last.json() == {"hello": "bo"}
    assert missing.status_code == 404
    assert [c.body for c in fake_http.calls("/hello")] == [{"name": n} for n in ("amy", "amy", "amy", "bo")]
    [nowhere] = fake_http.calls("/now.*", "get")
    assert nowhere.body == {"q": "1"} and nowhere.method == "GET"


async def test_the_fake_server_records_forms_headers_and_times(fake_http: FakeHttpServer) -> None:
    async with httpx.AsyncClient(base_url=fake_http.url) as http:
        await http.post("/token", data={"grant_type": "refresh_token"}, headers={"Client-Id": "abc"})
        await http.post("/token", content=b"")
    first, second = await fake_http.wait_for("/token", count=2, within=1.0)
    assert first.form == {"grant_type": "refresh_token"}
    assert first.headers["client-id"] == "abc"
    assert second.body is None and second.at >= first.at
    assert await fake_http.wait_for("/never", within=0.05) == []


async def test_a_redis_without_persistence_is_not_ready_outside_dev(
    make_settings: Any, platform: str, redis_url: str, monkeypatch: Any
) -> None:
    """The machine's Redis runs with `appendonly no`: a stream outbox on it would lose events."""
    monkeypatch.delenv("OUTBOX_ALLOW_VOLATILE_REDIS", raising=False)
    for allow, expected in ((False, 503), (True, 200)):
        built: list[StandInRuntime] = []
        app = standin_app(
            make_settings, platform, built, standin_token="t", redis_url=redis_url,
            outbox_allow_volatile_redis=allow,
        )  # fmt: skip
        async with started(app, settings=app.extensions["waddlebot.settings"]):
            ready = await app.test_client().get("/readyz")
            body = await ready.get_json()
            checks = body["checks"] if expected == 200 else body["error"]["details"]["checks"]
            check = checks[f"{platform}_durable"]
        assert ready.status_code == expected
        assert check["ok"] is allow and check["required"] is True
        if not allow:
            assert "appendonly" in check["detail"] and "OUTBOX_ALLOW_VOLATILE_REDIS" in check["detail"]


async def test_dev_mode_does_not_ask_for_persistence(
    make_settings: Any, platform: str, redis_url: str
) -> None:
    built: list[StandInRuntime] = []
    app = standin_app(make_settings, platform, built, standin_token="t", redis_url=redis_url, env="dev")
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        ready = await app.test_client().get("/readyz")
        assert (await ready.get_json())["checks"][f"{platform}_durable"]["ok"] is True
