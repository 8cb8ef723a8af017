"""One chat message per answer: the platform limits and cutting on a word boundary."""

from __future__ import annotations

import pytest

from flask_core.delivery_text import MAX_LENGTHS
from flask_core.message_limits import ELLIPSIS, MESSAGE_LIMITS, fit, message_limit, shorten


def test_the_limits_are_the_platforms_and_web_gets_the_strictest() -> None:
    assert MESSAGE_LIMITS == {"twitch": 500, "discord": 2000, "slack": 4000}
    assert message_limit("web") == message_limit("anything") == 500
    assert MAX_LENGTHS == MESSAGE_LIMITS  # the collectors split by the same table


@pytest.mark.parametrize(
    ("text", "size", "expected"),
    [
        ("short", 10, "short"),
        ("exactly ten", 11, "exactly ten"),
        ("one two three four", 12, "one two…"),
        ("one two, three", 10, "one two…"),  # no dangling comma
        ("averyveryverylongword", 8, "averyve…"),
        ("  padded  ", 6, "padded"),
    ],
    ids=["fits", "exact", "word", "punctuation", "one-long-word", "strip"],
)
def test_shorten_cuts_on_a_word_with_an_ellipsis(text: str, size: int, expected: str) -> None:
    assert shorten(text, size) == expected
    assert len(shorten(text, size)) <= size


def test_fit_uses_the_platform_of_the_answer() -> None:
    words = " ".join(["waddle"] * 250)  # 1,749 characters
    assert len(fit(words, "twitch")) <= 500 and fit(words, "twitch").endswith("waddle" + ELLIPSIS)
    assert fit(words, "discord") == words
    assert len(fit(words * 3, "discord")) <= 2000
    assert fit(words * 2, "slack") == words * 2


def test_shorten_refuses_a_size_below_one() -> None:
    with pytest.raises(ValueError):
        shorten("x", 0)
