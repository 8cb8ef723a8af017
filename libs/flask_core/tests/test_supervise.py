"""Supervised background loops: a failing loop is started again, reported, and stopped cleanly."""

from __future__ import annotations

import asyncio

from quart import Blueprint

from flask_core.app import create_app
from flask_core.metrics import REGISTRY
from flask_core.supervise import Supervised, supervise
from flask_core.testing import started


async def test_a_failing_loop_is_restarted_with_backoff_until_it_works() -> None:
    runs: list[int] = []
    working = asyncio.Event()

    async def body() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise ConnectionError("redis went away")
        working.set()
        await asyncio.Event().wait()  # a healthy loop runs until cancelled

    loop = Supervised("test:flaky", body, backoff_base=0.01, backoff_cap=0.05)
    loop.start()
    await asyncio.wait_for(working.wait(), 5)
    assert loop.running and loop.restarts == 2 and loop.last_error == "ConnectionError"
    ok, detail = await loop.ready()
    assert ok and "2 restarts" in detail
    labels = {"service": "flaky", "loop": "test:flaky"}
    assert REGISTRY.get_sample_value("waddlebot_background_restarts_total", labels) == 2
    await loop.stop()
    assert not loop.running
    assert (await loop.ready())[0] is False


async def test_supervise_runs_the_loop_while_the_app_serves(make_settings: object) -> None:
    beats: list[int] = []
    beating = asyncio.Event()

    async def body() -> None:
        while True:
            beats.append(1)
            beating.set()
            await asyncio.sleep(0.01)

    settings = make_settings()  # type: ignore[operator]
    app = create_app("sup", settings, [Blueprint("sup", __name__)], "sup")
    loop = supervise(app, "sup_loop", body)
    async with started(app, settings=settings):
        await asyncio.wait_for(beating.wait(), 5)
        ready = await (await app.test_client().get("/readyz")).get_json()
        assert ready["checks"]["sup_loop"]["ok"] is True
    assert not loop.running


async def test_a_forever_loop_whose_body_returns_is_started_again_with_its_own_delay() -> None:
    sessions: list[int] = []
    third = asyncio.Event()
    delays: list[int] = []

    async def session() -> None:
        sessions.append(1)
        if len(sessions) == 3:
            third.set()

    def delay(failures: int) -> float:
        delays.append(failures)
        return 0.0

    loop = Supervised("test:session", session, delay=delay, forever=True)
    loop.start()
    await asyncio.wait_for(third.wait(), 5)
    await loop.stop()
    assert delays[:2] == [1, 2] and loop.last_error == "EOFError"
