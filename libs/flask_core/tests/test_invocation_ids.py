"""Invocation ids (§11): uuid5 of the event id (and module) in the fixed namespace."""

from __future__ import annotations

import random
import uuid

import pytest

from flask_core.events import INVOCATION_NAMESPACE, invocation_id_for

NAMES = ["twitch:abc", "", "é✓ 日本語", "x" * 500, "discord:123|memories", "a|b|c", "\x00\x7f"]


@pytest.mark.parametrize("event_id", NAMES)
@pytest.mark.parametrize("module", [None, "memories", "ai"])
def test_it_is_the_uuid5_of_the_event(event_id: str, module: str | None) -> None:
    name = event_id if module is None else f"{event_id}|{module}"
    assert invocation_id_for(event_id, module) == uuid.uuid5(INVOCATION_NAMESPACE, name).hex


def test_random_event_ids_agree_with_uuid5() -> None:
    rng = random.Random(19)
    for _ in range(2_000):
        event_id = "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0xD7FF)]))
            for _ in range(rng.randrange(0, 40))
        )
        expected = uuid.UUID(invocation_id_for(event_id))
        assert expected == uuid.uuid5(INVOCATION_NAMESPACE, event_id)
        assert expected.version == 5 and expected.variant == uuid.RFC_4122
