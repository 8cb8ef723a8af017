"""The chat command grammar: tokens as shlex gives them, with or without quotes."""

from __future__ import annotations

import shlex

import pytest

from waddlebot_router.parsing import parse


@pytest.mark.parametrize(
    "text",
    [
        "!quote",
        "  !quote   12  ",
        "!so\t@bob\r\nthere",
        "!quote add\u00a0non-breaking stays in one token",
        "!quote add \"two words\" - 'the author'",
        "!quote add it\\'s escaped",
        "#market item",
    ],
)
def test_tokens_are_what_shlex_gives(text: str) -> None:
    parsed = parse(text)
    assert parsed is not None
    body = text.strip()[1:]
    assert parsed.tokens == tuple(shlex.split(body))
    assert parsed.body == body


def test_unbalanced_quotes_fall_back_to_whitespace() -> None:
    parsed = parse('!quote add "unbalanced')
    assert parsed is not None and parsed.tokens == ("quote", "add", '"unbalanced')


@pytest.mark.parametrize("text", ["", "!", "! quote", "quote", "!Über", "!" + "x" * 33])
def test_not_commands(text: str) -> None:
    assert parse(text) is None
