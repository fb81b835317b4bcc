"""Every pair of ``compat_pairs/`` reports its rule (breaking pairs at level ERR; compatible ones nothing at ERR)."""

from __future__ import annotations

import pytest
from measure_compat import measure, pairs


@pytest.mark.parametrize("pair", pairs(), ids=lambda p: p.name)
def test_pair(pair):
    ok, reported = pair.verdict()
    if pair.breaking:
        assert ok, f"expected {pair.rule} at level ERR, got: {reported}"
    elif pair.rule:
        assert ok, f"expected the warning {pair.rule} and nothing at level ERR, got: {reported}"
    else:
        assert ok, f"expected nothing at level ERR, got: {reported}"


def test_every_breaking_pair_is_caught_and_no_compatible_pair_flagged(capsys):
    breaking, missed, compatible, flagged = measure()
    assert len(breaking) >= 150 and len(compatible) >= 40
    assert [p.name for p in missed] == [] and [p.name for p in flagged] == []
