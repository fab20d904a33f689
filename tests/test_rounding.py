"""Splitting an amount the way a person would write the parts."""

from __future__ import annotations

import pytest

from assistant.planning.rounding import round_split


@pytest.mark.parametrize("total, weights, expected", [
    (75, [30, 45, 15], [25, 37.5, 12.5]),          # the budget example: halves where halves are exact
    (150, [40, 20, 30, 10], [60, 30, 45, 15]),      # whole numbers stay whole
    (100, [1, 1, 1], [33.4, 33.3, 33.3]),           # thirds: one decimal is within 1 %, whole numbers are not
    (82.5, [30, 45, 15], [27.5, 41.3, 13.7]),
    (10, [999, 1], [9.99, 0.01]),                   # a tiny line is never rounded away
])
def test_parts_are_round_faithful_and_add_up(total, weights, expected):
    parts = round_split(total, weights)
    assert parts == expected
    assert round(sum(parts), 2) == total


def test_no_weights_no_parts_and_zero_weights_split_evenly():
    assert round_split(10, []) == []
    assert round_split(9, [0, 0, 0]) == [3, 3, 3]
