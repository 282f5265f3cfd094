"""Specification: the bench's references solve the engine's problem, so their optimum is the engine's."""

from __future__ import annotations

import numpy as np
import pytest

from bench.matching_bench import fair_reference, flow_reference
from bench.synthetic import shaped_cohort
from chalicelib.domain.matching import MatchingPolicy, match_cohort, score_table

SHAPES = [(300, 100, {}), (200, 12, {"capacity": 50}), (240, 80, {"tied": True}), (120, 200, {})]


@pytest.mark.parametrize(("n_mentees", "n_mentors", "shape"), SHAPES)
@pytest.mark.parametrize("reference", [fair_reference, flow_reference])
def test_each_reference_reaches_the_exact_solvers_optimum(
    n_mentees: int, n_mentors: int, shape: dict[str, object], reference: object
) -> None:
    # GIVEN a small cohort of one of the bench's shapes and its score matrix
    cohort = shaped_cohort(n_mentees, n_mentors, 7, **shape)  # type: ignore[arg-type]
    table = score_table(cohort.mentees, cohort.mentors, MatchingPolicy(), cohort.past_pairs)

    # WHEN the bench's reference and the engine's exact solver each solve it
    rows, cols = reference(table.scores, np.array(table.capacities))  # type: ignore[operator]
    exact = match_cohort(cohort.mentees, cohort.mentors, MatchingPolicy(solver="exact"), cohort.past_pairs)

    # THEN both reach the same optimum with the same number of pairs, within every capacity
    assert table.scores[rows, cols].sum() == pytest.approx(exact.figures.total_score, rel=1e-9)
    assert rows.size == exact.figures.matched
    assert np.all(np.bincount(cols, minlength=len(table.capacities)) <= np.array(table.capacities))
    assert np.unique(rows).size == rows.size
