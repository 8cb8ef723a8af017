"""`$(...)` templates: literal insertion, never re-expanded, never str.format."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_core.templates import STANDARD_FUNCTIONS, expand, random_choice, standard_values, time_in, uses


def values(args: list[str], **extra: str) -> dict[str, str]:
    found = standard_values(
        user="Amy", args=args, args_text=" ".join(args), channel="chan", platform="twitch"
    )
    return {**found, **extra}


def test_the_variables_streamers_know() -> None:
    text = "$(user) $(touser) $(1)/$(2)/$(9) [$(query)] $(channel) $(platform) $(count)"
    assert expand(text, values(["@Bob", "x"], count="7")) == "Amy Bob @Bob/x/$(9) [@Bob x] chan twitch 7"
    assert expand("$(touser)", values([])) == "Amy"  # no argument: the caller


def test_values_are_inserted_literally_and_never_reexpanded() -> None:
    sneaky = ["$(user)", "{0.__class__}", "%s"]
    assert (
        expand("$(1) $(2) $(3) {0.__class__} {}", values(sneaky))
        == "$(user) {0.__class__} %s {0.__class__} {}"
    )
    assert expand("$(query)", values(["$(random", "a|b)"]), STANDARD_FUNCTIONS) == "$(random a|b)"


def test_unknown_variables_and_functions_stay_as_typed() -> None:
    assert expand("$(nope) $(nope x) $(USER)", values([])) == "$(nope) $(nope x) $(USER)"


def test_random_picks_one_of_the_choices() -> None:
    seen = {expand("$(random a | b|c)", {}, STANDARD_FUNCTIONS) for _ in range(200)}
    assert seen == {"a", "b", "c"}
    assert random_choice(" | ") == ""


def test_time_in_a_zone() -> None:
    noon = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert time_in("Europe/Berlin", noon) == "14:00 CEST"
    assert time_in("America/New_York", noon) == "08:00 EDT"
    assert time_in("Not/AZone", noon) == "(unknown time zone)"
    assert time_in("../../etc/passwd", noon) == "(unknown time zone)"
    assert expand("$(time UTC)", {}, STANDARD_FUNCTIONS).endswith(" UTC")


def test_uses_finds_a_variable() -> None:
    assert uses("used $(count) times", "count")
    assert not uses("no counter here $(counter)", "count")
