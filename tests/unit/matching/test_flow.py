"""Specifications of the min-cost flow's integer costs: exact on the grid scores sit on.

That the flow reaches the enumerated optimum is specified in ``test_optimality``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from chalicelib.domain.matching.flow import GRAPH_SCALE, exact_grid


def test_worths_made_of_simple_fractions_are_scaled_by_their_common_grid() -> None:
    # GIVEN worths such as a base of 1 plus two thirds of a goal weight, a half, an eighth
    worth = np.array([1 + 2 / 3, 1.5, 4 + 1 / 8, 3.0])

    # WHEN the grid is sought
    grid = exact_grid(worth, GRAPH_SCALE)

    # THEN it is the least common denominator, on which every worth is a whole number
    assert grid == 24
    assert np.allclose(worth * grid, np.rint(worth * grid), atol=1e-9)


def test_a_worth_the_sample_missed_still_refines_the_grid() -> None:
    # GIVEN thousands of whole worths and one seventh among them, which a sample of the values skips
    worth = np.ones(20_001)
    worth[12_345] = 1 + 1 / 7

    # WHEN the grid is sought
    grid = exact_grid(worth, GRAPH_SCALE)

    # THEN the seventh is on it
    assert grid == 7


@pytest.mark.parametrize("worth", [[math.pi, 1.0], [1.0, 1 + 1 / 10_007]], ids=["irrational", "grid-too-fine"])
def test_worths_on_no_grid_within_the_limit_have_none(worth: list[float]) -> None:
    assert exact_grid(np.array(worth), GRAPH_SCALE) is None
