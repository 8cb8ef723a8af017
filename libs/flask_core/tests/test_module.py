"""The interaction-module blueprint's batch path: per-command batch handlers, order, failures."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydal import Field

from flask_core.errors import NotFound
from flask_core.events import CommandRequest, Manifest, ManifestCommand
from flask_core.module import Accepted, ModuleSpec, chat, run_batch, run_command
from flask_core.resources import Resources


@pytest.fixture
async def res(make_settings: Any, backend: dict[str, Any]) -> AsyncIterator[Resources]:
    resources = await Resources.open(make_settings(**backend))
    resources.db.add_models(_define_notes)
    await resources.db.migrate()
    try:
        yield resources
    finally:
        await resources.close()


def _define_notes(db: Any) -> None:
    db.define_table("test_notes", Field("invocation", "string"), Field("text", "string"))


def request(command: str, text: str = "", invocation: str | None = None) -> CommandRequest:
    return CommandRequest.model_validate(
        {
            "event": {
                "event_id": f"web:{command}:{text}",
                "platform": "web",
                "server_id": "s",
                "channel_id": "c",
                "user": {"platform_user_id": "u", "username": "u"},
                "text": f"!{command} {text}",
            },
            "community_id": "1",
            "command": command,
            "args": text.split(),
            "args_text": text,
            "invocation_id": invocation or uuid.uuid4().hex,
        }
    )


def spec(batch: Any) -> tuple[ModuleSpec, list[list[str]]]:
    calls: list[list[str]] = []

    async def echo(res: Any, req: CommandRequest) -> list[dict[str, Any]]:
        return chat(f"one {req.args_text}")

    async def later(res: Any, req: CommandRequest) -> list[dict[str, Any]]:
        raise Accepted()

    async def missing(res: Any, req: CommandRequest) -> list[dict[str, Any]]:
        raise NotFound("nope")

    async def many(res: Any, reqs: list[CommandRequest]) -> list[list[dict[str, Any]]]:
        calls.append([r.args_text for r in reqs])
        return await batch(reqs)

    manifest = Manifest(
        name="t", commands=[ManifestCommand(path=p) for p in ("echo", "later", "missing", "grouped")]
    )
    handlers = {"echo": echo, "later": later, "missing": missing, "grouped": echo}
    return ModuleSpec(manifest, handlers, batch={"grouped": many}), calls


async def test_a_batch_handler_answers_its_group_once_in_order(res: Resources) -> None:
    async def answer(reqs: list[CommandRequest]) -> list[list[dict[str, Any]]]:
        return [chat(f"many {r.args_text}") for r in reqs]

    module, calls = spec(answer)
    requests = [
        request("grouped", "a"),
        request("echo", "b"),
        request("grouped", "c"),
        request("later"),
        request("missing"),
    ]
    results = await run_batch(module, res, requests)
    assert calls == [["a", "c"]]
    assert [r["status"] for r in results] == ["ok", "ok", "ok", "accepted", "error"]
    assert [r["responses"][0]["text"] for r in results[:3]] == ["many a", "one b", "many c"]
    assert results[4]["error"] == "not_found"


async def test_a_failing_or_miscounting_batch_handler_fails_only_its_group(res: Resources) -> None:
    async def broken(reqs: list[CommandRequest]) -> list[list[dict[str, Any]]]:
        raise RuntimeError("boom")

    async def short(reqs: list[CommandRequest]) -> list[list[dict[str, Any]]]:
        return [chat("only one")]

    for handler in (broken, short):
        module, _ = spec(handler)
        results = await run_batch(
            module, res, [request("grouped", "a"), request("echo", "b"), request("grouped", "c")]
        )
        assert [r["status"] for r in results] == ["error", "ok", "error"]
        assert results[0]["error"] == "internal"


def test_batch_handlers_must_be_declared_commands() -> None:
    manifest = Manifest(name="t", commands=[ManifestCommand(path="echo")])

    async def echo(res: Any, req: CommandRequest) -> list[dict[str, Any]]:
        return []

    try:
        ModuleSpec(manifest, {"echo": echo}, batch={"other": echo})  # type: ignore[dict-item]
    except ValueError as exc:
        assert "batch handlers" in str(exc)
    else:
        raise AssertionError("undeclared batch handler accepted")


# --- invocation records (§11, §12) -------------------------------------------------------------


def writing_spec() -> tuple[ModuleSpec, list[str]]:
    """A module whose `note` command writes a row, like `!quote add`."""
    runs: list[str] = []

    async def note(res: Resources, req: CommandRequest) -> list[dict[str, Any]]:
        runs.append(req.invocation_id)

        def insert(db: Any) -> int:
            return int(db.test_notes.insert(invocation=req.invocation_id, text=req.args_text))

        row = await res.db.run(insert)
        await asyncio.sleep(0.01)  # a window for a concurrent copy
        return chat(f"note {row} kept")

    manifest = Manifest(name="notes", commands=[ManifestCommand(path="note")])
    return ModuleSpec(manifest, {"note": note}), runs


async def _rows(res: Resources, *invocations: str) -> int:
    return await res.db.run(lambda db: db(db.test_notes.invocation.belongs(invocations)).count())


async def test_a_repeated_invocation_is_answered_from_its_record(res: Resources) -> None:
    module, runs = writing_spec()
    req = request("note", "hello", invocation="inv-repeat")
    first = await run_command(module, res, req)
    again = await run_command(module, res, req)
    assert again == first
    assert len(runs) == 1
    assert await _rows(res, req.invocation_id) == 1


async def test_the_write_record_holds_when_the_short_lived_answer_is_gone(res: Resources) -> None:
    """A crash after the write (or an expired answer): the repeat writes nothing twice."""
    module, runs = writing_spec()
    req = request("note", "hello", invocation="inv-crash")
    first = await run_command(module, res, req)
    await res.cache.delete(f"invocation:notes:{req.invocation_id}")
    again = await run_command(module, res, req)
    assert again == first  # from the write record, stored in the same database
    assert len(runs) == 2  # the handler started, but its write rolled back
    assert await _rows(res, req.invocation_id) == 1


async def test_concurrent_copies_of_one_invocation_write_once(res: Resources) -> None:
    module, _ = writing_spec()
    req = request("note", "hello", invocation="inv-race")
    answers = await asyncio.gather(*(run_command(module, res, req) for _ in range(5)))
    assert await _rows(res, req.invocation_id) == 1
    assert all(a == answers[0] for a in answers) and answers[0][0]["text"].startswith("note ")


async def test_different_invocations_each_run(res: Resources) -> None:
    module, runs = writing_spec()
    reqs = [request("note", f"n{n}") for n in range(3)]
    for req in reqs:
        await run_command(module, res, req)
    assert len(runs) == 3
    assert await _rows(res, *(r.invocation_id for r in reqs)) == 3


async def test_a_repeat_after_a_crash_between_write_and_answer_says_done(res: Resources) -> None:
    """The write committed but the process died before its answer was stored."""
    from flask_core import invocations

    module, _ = writing_spec()
    req = request("note", "hello", invocation="inv-done")
    await run_command(module, res, req)
    key = f"notes:{req.invocation_id}"
    await res.cache.delete(f"invocation:{key}")
    await res.db.run(lambda db: db(db.module_invocations.invocation_key == key).update(responses=None))
    assert await run_command(module, res, req) == chat("Done.")
    assert await _rows(res, req.invocation_id) == 1
    assert invocations.RECORD_TTL == 86400.0
