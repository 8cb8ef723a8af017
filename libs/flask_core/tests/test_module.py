"""The interaction-module blueprint's batch path: per-command batch handlers, order, failures."""

from __future__ import annotations

from typing import Any

from flask_core.errors import NotFound
from flask_core.events import CommandRequest, Manifest, ManifestCommand
from flask_core.module import Accepted, ModuleSpec, chat, run_batch


def request(command: str, text: str = "") -> CommandRequest:
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
            "invocation_id": "i",
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


async def test_a_batch_handler_answers_its_group_once_in_order() -> None:
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
    results = await run_batch(module, None, requests)  # type: ignore[arg-type]
    assert calls == [["a", "c"]]
    assert [r["status"] for r in results] == ["ok", "ok", "ok", "accepted", "error"]
    assert [r["responses"][0]["text"] for r in results[:3]] == ["many a", "one b", "many c"]
    assert results[4]["error"] == "not_found"


async def test_a_failing_or_miscounting_batch_handler_fails_only_its_group() -> None:
    async def broken(reqs: list[CommandRequest]) -> list[list[dict[str, Any]]]:
        raise RuntimeError("boom")

    async def short(reqs: list[CommandRequest]) -> list[list[dict[str, Any]]]:
        return [chat("only one")]

    for handler in (broken, short):
        module, _ = spec(handler)
        results = await run_batch(
            module, None, [request("grouped", "a"), request("echo", "b"), request("grouped", "c")]
        )  # type: ignore[arg-type]
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
