"""What the load generator sends and how it checks each answer.

Imported by the generator process too, so it stays free of server-side imports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

COMMUNITIES = 20
USERS = 5_000
BATCH_SIZE = 100
EVENTS_PATH = "/router/api/v1/events"
BATCH_PATH = "/router/api/v1/events/batch"
ECHO_PATH = "/echo/api/v1/echo"


class Kind(StrEnum):
    ECHO = "echo"
    EVENT = "event"
    BATCH = "batch"


def community_key(run_id: str, index: int) -> str:
    """The server_id (community key) of bench community `index`."""
    return f"bench-{run_id}-c{index:02d}"


def quote_text(index: int) -> str:
    """The one quote seeded into bench community `index`."""
    return f"Bench quote of community {index:02d}"


def chat_event(
    run_id: str,
    tag: str,
    seq: int,
    text: str = "!quote",
    *,
    community: int | None = None,
    roles: list[str] | None = None,
) -> dict[str, Any]:
    """A Twitch chat event (shape of cli `build_event`); (run_id, tag, seq) makes its id unique."""
    index = seq % COMMUNITIES if community is None else community
    user = f"viewer{seq % USERS}"
    server = community_key(run_id, index)
    return {
        "event_id": f"twitch:bench-{run_id}-{tag}-{seq}",
        "platform": "twitch",
        "server_id": server,
        "channel_id": server,
        "user": {
            "platform_user_id": f"bench-{user}",
            "username": user,
            "display_name": user,
            "roles": roles or [],
        },
        "type": "chat_message",
        "text": text,
        "reply": {"kind": "inline"},
    }


@dataclass(slots=True)
class Request:
    """One HTTP request of a load run: the body and what a correct answer must contain."""

    body: bytes
    expected: list[tuple[str, int]]  # (event_id, community index), one per event
    events: int


def build_request(kind: Kind, run_id: str, tag: str, seq: int) -> Request:
    """Request number `seq` of a run; batches use event numbers seq*100 .. seq*100+99."""
    if kind is Kind.BATCH:
        first = seq * BATCH_SIZE
        events = [chat_event(run_id, tag, n) for n in range(first, first + BATCH_SIZE)]
        expected = [(e["event_id"], (first + i) % COMMUNITIES) for i, e in enumerate(events)]
        return Request(json.dumps({"events": events}).encode(), expected, BATCH_SIZE)
    event = chat_event(run_id, tag, seq)
    return Request(json.dumps(event).encode(), [(event["event_id"], seq % COMMUNITIES)], 1)


def check_answer(kind: Kind, request: Request, status: int, raw: bytes) -> list[str]:
    """Problems with one answer (empty when it is right); at most one per event."""
    if status != 200:
        return [f"HTTP {status}: {raw[:160]!r}"] * request.events
    try:
        body = json.loads(raw)
    except ValueError:
        return [f"not JSON: {raw[:160]!r}"] * request.events
    if kind is Kind.ECHO:
        ok = isinstance(body, dict) and body.get("event_id") == request.expected[0][0]
        return [] if ok else [f"echo mismatch: {raw[:160]!r}"]
    results = body.get("results") if kind is Kind.BATCH else [body]
    if not isinstance(results, list) or len(results) != request.events:
        return [f"bad answer shape: {raw[:160]!r}"] * request.events
    pairs = zip(results, request.expected, strict=True)
    return [problem for result, want in pairs if (problem := _check_event(result, want))]


def _check_event(result: Any, want: tuple[str, int]) -> str:
    event_id, community = want
    if not isinstance(result, dict) or result.get("event_id") != event_id:
        return f"wrong or missing event_id in {str(result)[:160]}"
    if result.get("status") != "processed":
        return f"status {result.get('status')!r}: {str(result.get('responses'))[:160]}"
    texts = [r.get("text", "") for r in result.get("responses", []) if isinstance(r, dict)]
    if not any(quote_text(community) in t for t in texts):
        return f"no quote of community {community:02d} in {str(texts)[:160]}"
    return ""
