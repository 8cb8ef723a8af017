"""The dispatcher mounts installed services of the service table, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from waddlebot_cli.services import discover


def test_an_entry_point_the_table_lacks_is_not_mounted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "waddlebot_stray-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: waddlebot-stray\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[waddlebot.services]\nstray = waddlebot_memories.app:create_app\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = discover()
    assert "stray" not in found
    assert {"router", "memories", "twitch", "slack", "discord"} <= set(found)
    assert discover(["memories"]).keys() == {"memories"}
