"""`waddlebot chat` never creates the server's secrets; it reads them, and says what to set."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from flask_core.settings import CoreSettings
from flask_core.testing import TEST_SECRET
from waddlebot_cli.main import main
from waddlebot_cli.runner import start_banner
from waddlebot_cli.testing import Fleet


async def chat(fleet: Fleet, *args: str) -> int:
    """Run the CLI in a thread (it is synchronous) while the fleet serves on this loop."""
    return await asyncio.to_thread(main, ["chat", *args, "--url", fleet.url])


@pytest.fixture
def cli_env(whole_fleet: Fleet, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The CLI's own environment: a fresh DATA_DIR, no secret (the fleet was built already)."""
    folder = tmp_path / "cli-var"
    for name in ("INTERNAL_JWT_SECRET", "PORTAL_JWT_SECRET", "ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(folder))
    return folder


async def test_chat_without_a_secret_creates_none_and_names_the_variable(
    whole_fleet: Fleet, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await chat(whole_fleet, "!commands") == 2
    assert "INTERNAL_JWT_SECRET" in capsys.readouterr().err
    assert not (cli_env / "secrets").exists()


async def test_a_wrong_secret_gets_401_and_the_variable_to_set(
    whole_fleet: Fleet, cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTERNAL_JWT_SECRET", "a-different-secret-0123456789abcdef0123")
    assert await chat(whole_fleet, "!commands") == 1
    err = capsys.readouterr().err
    assert "401" in err
    assert "INTERNAL_JWT_SECRET" in err and "same value as the server" in err


async def test_the_server_secret_from_the_environment_works(
    whole_fleet: Fleet, cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTERNAL_JWT_SECRET", TEST_SECRET)
    assert await chat(whole_fleet, "!commands") == 0
    assert "!quote" in capsys.readouterr().out


async def test_a_dev_server_secret_in_data_dir_is_read(
    whole_fleet: Fleet, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "secrets").mkdir(parents=True)
    (cli_env / "secrets" / "internal_jwt_secret").write_text(TEST_SECRET + "\n")
    assert await chat(whole_fleet, "!commands") == 0
    assert "!quote" in capsys.readouterr().out
    assert sorted(p.name for p in (cli_env / "secrets").iterdir()) == ["internal_jwt_secret"]


@pytest.mark.parametrize(
    ("port", "hint"),
    [
        (8080, "waddlebot chat '!commands'   (Ctrl-C here stops it)\n"),
        (8181, "waddlebot chat '!commands' --url http://127.0.0.1:8181   (Ctrl-C here stops it)\n"),
    ],
    ids=["default-port", "other-port"],
)
def test_the_start_banner_says_how_to_reach_this_server(make_settings: Any, port: int, hint: str) -> None:
    banner = start_banner(make_settings(CoreSettings, port=port), ["router"])
    assert (banner + "\n").endswith(hint)


async def test_the_prompt_answers_each_line_until_exit(
    whole_fleet: Fleet, cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setenv("INTERNAL_JWT_SECRET", TEST_SECRET)
    monkeypatch.setattr("sys.stdin", io.StringIO("!commands\n\nexit\n"))
    assert await chat(whole_fleet) == 0
    out = capsys.readouterr().out
    assert out.startswith("Chatting as viewer (everyone) on web/demo.")
    assert "!quote" in out


async def test_an_unreachable_router_is_one_line_and_exit_1(
    whole_fleet: Fleet, cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTERNAL_JWT_SECRET", TEST_SECRET)
    code = await asyncio.to_thread(main, ["chat", "!quote", "--url", "http://127.0.0.1:1"])
    assert code == 1
    assert "cannot reach WaddleBot at http://127.0.0.1:1" in capsys.readouterr().err
