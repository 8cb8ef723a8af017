"""Portal-facing pages: limits, cursors, sorts, and refusals in the error shape."""

from __future__ import annotations

import pytest

from flask_core.errors import ValidationFailed
from flask_core.pagination import decode_cursor, encode_cursor, next_cursor, offset_of, page_query


def test_defaults_and_a_descending_sort() -> None:
    page = page_query({}, ("name", "created_at"), "name")
    assert (page.limit, page.offset, page.q, page.sort, page.descending) == (50, 0, "", "name", False)
    other = page_query({"limit": "2", "sort": "-created_at", "q": "  hi "}, ("name", "created_at"), "name")
    assert (other.limit, other.sort, other.descending, other.q) == (2, "created_at", True, "hi")


def test_split_gives_a_cursor_only_when_more_follow() -> None:
    page = page_query({"limit": "2"}, ("name",), "name")
    assert page.limitby == (0, 3)
    items, cursor = page.split([1, 2, 3])
    assert items == [1, 2] and cursor is not None
    following = page_query({"limit": "2", "cursor": cursor}, ("name",), "name")
    assert following.offset == 2 and following.split([3]) == ([3], None)


@pytest.mark.parametrize(
    "args",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"limit": "٣"}, {"sort": "secret"},
     {"sort": "--name"}, {"cursor": "nope"}, {"cursor": encode_cursor(10**7)}, {"q": "x" * 101}],
)  # fmt: skip
def test_unusable_pages_are_refused(args: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed):
        page_query(args, ("name",), "name")


def test_cursors_round_trip() -> None:
    assert decode_cursor(encode_cursor(12345)) == 12345


def test_the_cursor_half_alone() -> None:
    assert offset_of(None) == 0 and offset_of("") == 0
    assert next_cursor(20, 10, False) is None
    cursor = next_cursor(20, 10, True)
    assert cursor is not None and offset_of(cursor) == 30
    with pytest.raises(ValidationFailed):
        offset_of("eyJvIjogM30")  # the calendar's and inventory's old cursor shape: foreign now
