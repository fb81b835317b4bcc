"""The per-search work of the library: the query check's fast path and the hits table built only when logged.

Pure functions, tested without a store; ``benchmarks/vectors.py`` measures what they save."""

from __future__ import annotations

import logging
import math
from fractions import Fraction

import pytest

from crosscheck.errors import ConfigurationError
from crosscheck.vectors import tables
from crosscheck.vectors.backend import Backend, Collection, Hit, as_vector


def test_a_list_of_finite_floats_is_taken_as_it_is():
    value = [0.1, 0.2, 0.3]
    assert as_vector(value, 3, "q") is value


@pytest.mark.parametrize(
    "value, expected",
    [
        ([1, 2, 3], [1.0, 2.0, 3.0]),  # ints: the sum is an int, so the checked path converts them
        ((0.1, 0.2, 0.3), [0.1, 0.2, 0.3]),
        ([1e308, 1e308, -1e308], [1e308, 1e308, -1e308]),  # the sum overflows, every component is finite
        ("[0.5, 0.25, 1]", [0.5, 0.25, 1.0]),
    ],
)
def test_what_the_fast_path_does_not_take_is_checked_component_by_component(value, expected):
    assert as_vector(value, 3, "q") == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ([0.1, math.nan, 0.3], "q has a non-finite component at position 1 (nan)"),
        ([math.inf, 0.2, -math.inf], "q has a non-finite component at position 0 (inf)"),
        ([0.1, 0.2, math.inf], "q has a non-finite component at position 2 (inf)"),
        ([0.1, "x", 0.3], "q has a non-numeric component at position 1: 'x'"),
        ([0.1, None, 0.3], "q has a non-numeric component at position 1: None"),
        ([0.1, 1j, 0.3], "q has a non-numeric component at position 1: 1j"),
        ([0.1, 0.2], "dimension mismatch: q has 2 components, expected 3"),
        ([], "q is an empty vector; expected 3 numbers"),
    ],
)
def test_bad_lists_fail_as_before(value, message):
    with pytest.raises(ConfigurationError) as err:
        as_vector(value, 3, "q")
    assert message in str(err.value)


def test_a_list_of_numbers_summing_to_a_finite_float_is_passed_on():
    value = [Fraction(1, 2), 0.25, 1]
    assert as_vector(value, 3, "q") is value  # every store converts numbers itself


class _Store(Backend):
    kind = label = "test"

    def describe(self):
        return "test store"

    create = exists = lookup = drop = drop_namespace = upsert = count = get = delete = None  # type: ignore[assignment]
    set_payload = search = sample = create_index = indexes = index_use = None  # type: ignore[assignment]


def _coll(distance="cosine"):
    return Collection("docs", "ns_docs", 3, distance, _Store.__new__(_Store))


def test_the_hits_table_escapes_ids_and_payloads():
    hits = [Hit("<b>", 0.5, {"t": "a&b"}), Hit("p2", 0.25, {})]
    table = tables.hits_table(_coll(), hits, "top 2 in docs")
    assert '<td style="border:1px solid #bbb;padding:2px 8px;text-align:right">&lt;b&gt;</td>' in table
    assert "{&#x27;t&#x27;: &#x27;a&amp;b&#x27;}" in table
    assert table.count("<tr>") == 3 and "score" in table and table.endswith("</table>")
    assert "distance" in tables.hits_table(_coll("euclidean"), hits, "c")
    assert tables.hits_table(_coll(), [], "none").count("<tr>") == 1


def test_outside_robot_the_table_is_built_only_when_the_logger_takes_info(caplog):
    built = []

    def build():
        built.append(1)
        return "<table></table>"

    with caplog.at_level(logging.WARNING, logger="RobotFramework"):
        tables.log_html_lazily(build)
    assert built == []
    with caplog.at_level(logging.INFO, logger="RobotFramework"):
        tables.log_html_lazily(build)
    assert built == [1] and "<table></table>" in caplog.text
