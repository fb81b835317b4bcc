"""The staged shape on its own: parsing users, hold and ramp, the time line, stage selection."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crosscheck.errors import ConfigurationError
from crosscheck.load.stages import parse_ramp, parse_seconds, parse_users, plan, select, total_seconds


@pytest.mark.parametrize(
    "given, counts",
    [
        ("10, 50, 100", [10, 50, 100]),
        ("10 50 100", [10, 50, 100]),
        ([10, 50, 100], [10, 50, 100]),
        (7, [7]),
        ("5", [5]),
    ],
)
def test_user_counts_are_read_from_text_lists_and_numbers(given, counts):
    assert parse_users(given) == counts


@pytest.mark.parametrize("given", ["10 -> 50", "ten, fifty", "10, 5x", "", "10/50"])
def test_an_unknown_stage_format_is_refused_with_an_example(given):
    with pytest.raises(ConfigurationError, match=r"(Unknown stage format|No stage given).*users=10, 50, 100"):
        parse_users(given)


@pytest.mark.parametrize("given", ["10, 0, 100", "-5", [10, -1], 0])
def test_zero_or_negative_users_are_refused(given):
    with pytest.raises(ConfigurationError, match=r"Every stage needs at least one user: got -?\d+"):
        parse_users(given)


def test_a_negative_or_zero_hold_is_refused():
    with pytest.raises(ConfigurationError, match=r"hold must be a positive duration such as '30 s': .* negative"):
        parse_seconds(timedelta(seconds=-5), "hold")
    with pytest.raises(ConfigurationError, match=r"zero or negative"):
        parse_seconds(0, "hold")
    assert parse_seconds(0, "think", allow_zero=True) == 0
    with pytest.raises(ConfigurationError, match="is negative"):
        parse_seconds(-1, "think", allow_zero=True)


@pytest.mark.parametrize("given, rate", [("10/s", 10.0), ("2.5 / s", 2.5), ("instant", None), (0, None), (4, 4.0)])
def test_ramp_is_users_per_second_or_instant(given, rate):
    assert parse_ramp(given) == rate


@pytest.mark.parametrize("given", ["10 per second", "fast", "10/min", -3])
def test_an_unknown_ramp_is_refused(given):
    with pytest.raises(ConfigurationError, match="ramp"):
        parse_ramp(given)


def test_stages_ramp_from_the_previous_count_then_hold():
    stages = plan("10, 50, 20", timedelta(seconds=30), "10/s")
    assert [(s.users, s.start, s.hold_start, s.end) for s in stages] == [
        (10, 0.0, 1.0, 31.0),
        (50, 31.0, 35.0, 65.0),
        (20, 65.0, 68.0, 98.0),
    ]
    assert all(s.hold == 30.0 for s in stages)
    assert total_seconds(stages) == 98.0


def test_an_instant_ramp_holds_from_the_start_of_each_stage():
    stages = plan([5, 10], 2, "instant")
    assert [(s.start, s.hold_start, s.end, s.rate) for s in stages] == [(0, 0, 2, 5.0), (2, 2, 4, 5.0)]


def test_a_getter_names_a_stage_by_users_position_or_all():
    stages = plan("10, 50, 100", 1, "instant")
    assert select(stages, "stage=50").users == 50
    assert select(stages, "100").users == 100
    assert select(stages, "stage=#1").users == 10
    assert select(stages, "stage=all") is None and select(stages, "all") is None
    with pytest.raises(ConfigurationError, match=r"No stage of 70 users in the last run \(stages: 10, 50, 100\)"):
        select(stages, "stage=70")
    with pytest.raises(ConfigurationError, match=r"No stage #4: the run had 3 stage\(s\)"):
        select(stages, "stage=#4")
    with pytest.raises(ConfigurationError, match="Unknown stage 'stage=big'"):
        select(stages, "stage=big")
