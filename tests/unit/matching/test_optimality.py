"""Specifications: the exact solver is optimal, max_matched maximises pairs, sparse stays near the optimum."""

from __future__ import annotations

import numpy as np
import pytest

from chalicelib.domain.matching import MatchingPolicy, choose_solver, match_cohort
from chalicelib.domain.matching.scoring import CohortMatrix
from chalicelib.domain.matching.solvers import solve_exact

from .builders import brute_force, mentee, mentor, random_cohort, total


@pytest.mark.parametrize("seed", range(40))
def test_default_solver_total_equals_brute_force_on_small_cohorts(seed: int) -> None:
    # GIVEN a small seeded cohort where every assignment can be enumerated
    cohort = random_cohort(seed, n_mentees=6, n_mentors=4, max_capacity=2)
    policy = MatchingPolicy()

    # WHEN matched with the default policy, and the optimum is found by enumeration
    result = match_cohort(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)
    optimum = brute_force(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)

    # THEN the default (exact) solver reaches the enumerated optimum
    assert result.figures.solver == "exact"
    assert total(result) == pytest.approx(optimum.best_total, abs=1e-9)
    assert result.figures.total_score == pytest.approx(optimum.best_total, abs=1e-9)


@pytest.mark.parametrize("seed", range(40))
def test_max_matched_matches_as_many_as_brute_force_and_at_least_as_many_as_max_score(seed: int) -> None:
    # GIVEN a small seeded cohort
    cohort = random_cohort(1000 + seed, n_mentees=6, n_mentors=4, max_capacity=2)
    by_count = MatchingPolicy(objective="max_matched")

    # WHEN matched under both objectives, and enumerated
    most = match_cohort(cohort.mentees, cohort.mentors, by_count, cohort.past_pairs)
    best = match_cohort(cohort.mentees, cohort.mentors, MatchingPolicy(), cohort.past_pairs)
    optimum = brute_force(cohort.mentees, cohort.mentors, by_count, cohort.past_pairs)

    # THEN max_matched reaches the most pairs possible, with the best score among those
    assert most.figures.matched == optimum.best_count
    assert most.figures.matched >= best.figures.matched
    assert total(most) == pytest.approx(optimum.best_total_at_best_count, abs=1e-9)


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("objective", ["max_score", "max_matched"])
def test_the_exact_solver_as_a_min_cost_flow_reaches_the_enumerated_optimum(seed: int, objective: str) -> None:
    # GIVEN a small seeded cohort and the flow form the exact solver takes when mentors hold many places
    cohort = random_cohort(2000 + seed, n_mentees=6, n_mentors=4, max_capacity=3)
    policy = MatchingPolicy.model_validate({"objective": objective})
    cm = CohortMatrix(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)
    capacity = np.array([p.capacity for p in cohort.mentors], dtype=np.intp)

    # WHEN it is solved by the flow, and the optimum is found by enumeration
    rows, cols = solve_exact(cm, capacity, policy.objective, by_flow=True)
    optimum = brute_force(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)

    # THEN it keeps every place limit and reaches the optimum (the most pairs first under max_matched)
    assert np.all(np.bincount(cols, minlength=capacity.size) <= capacity)
    assert len(set(rows.tolist())) == rows.size
    flow_total = float(cm.pair_scores(rows, cols).sum())
    if objective == "max_matched":
        assert rows.size == optimum.best_count
        assert flow_total == pytest.approx(optimum.best_total_at_best_count, abs=1e-6)
    else:
        assert flow_total == pytest.approx(optimum.best_total, abs=1e-6)


def test_max_score_leaves_a_mentee_out_when_that_raises_the_total_but_max_matched_does_not() -> None:
    # GIVEN Jürgen fits Käthe superbly and Matej barely; Ida speaks only German, so only Käthe fits her;
    # each mentor has one place
    jurgen = mentee(
        "e1",
        "Jürgen Groß",
        tags=("leadership", "strategy"),
        ranked_mentor_ids=("r1",),
        seniority=3,
        utc_offset_minutes=0,
    )
    ida = mentee("e2", "Ida Lindqvist", languages=("de",))
    kathe = mentor(
        "r1",
        "Käthe Müller",
        tags=("Leadership", "Strategy"),
        languages=("en", "de"),
        seniority=8,
        utc_offset_minutes=0,
        capacity=1,
    )
    matej = mentor("r2", "Matej Kovačič", seniority=1, utc_offset_minutes=720, capacity=1)

    # WHEN matched under each objective
    by_score = match_cohort([jurgen, ida], [kathe, matej], MatchingPolicy())
    by_count = match_cohort([jurgen, ida], [kathe, matej], MatchingPolicy(objective="max_matched"))

    # THEN max_score keeps the one excellent pair (11 points beat 1 + 2.5) and max_matched places both
    assert [(p.mentee_id, p.mentor_id) for p in by_score.pairs] == [("e1", "r1")]
    assert by_score.figures.total_score == pytest.approx(11.0)
    assert {(p.mentee_id, p.mentor_id) for p in by_count.pairs} == {("e1", "r2"), ("e2", "r1")}
    assert by_count.figures.total_score == pytest.approx(1.0 + 2.5)
    assert {u.participant_id: u.code for u in by_score.unmatched} == {"e2": "mentors_full", "r2": "no_mentee_chose"}


def test_max_score_places_both_mentees_when_that_gives_the_higher_total() -> None:
    # GIVEN Nikola fits either mentor, Ida only Björn; Björn has one place, Mikkel one place
    nikola = mentee("e1", "Nikola Ilić", tags=("writing",), languages=("en", "da"))
    ida = mentee("e2", "Ida Lindqvist", tags=("writing",), languages=("da",), ranked_mentor_ids=("r1",))
    bjorn = mentor("r1", "Björn Müller", tags=("writing",), languages=("da",), capacity=1)
    mikkel = mentor("r2", "Mikkel Ærø", languages=("en",), capacity=1)

    # WHEN matched with the default policy
    result = match_cohort([nikola, ida], [bjorn, mikkel], MatchingPolicy())

    # THEN the solver finds the assignment that places both (it is the higher total)
    assert {(p.mentee_id, p.mentor_id) for p in result.pairs} == {("e1", "r2"), ("e2", "r1")}


def test_sparse_solver_is_within_a_tenth_of_a_percent_of_exact_on_a_mid_size_cohort() -> None:
    # GIVEN a mid-size seeded cohort with more mentees than places and a narrow candidate list
    cohort = random_cohort(7, n_mentees=600, n_mentors=200, max_capacity=3)
    exact = MatchingPolicy(solver="exact")
    sparse = MatchingPolicy(solver="sparse", sparse_k=10)

    # WHEN matched by both solvers
    reference = match_cohort(cohort.mentees, cohort.mentors, exact, cohort.past_pairs)
    approximate = match_cohort(cohort.mentees, cohort.mentors, sparse, cohort.past_pairs)

    # THEN the sparse total is at least 99.9% of the exact optimum and never above it
    assert approximate.figures.solver == "sparse"
    assert total(approximate) >= 0.999 * total(reference)
    assert total(approximate) <= total(reference) + 1e-6


def test_sparse_solver_equals_exact_when_every_mentor_is_a_candidate() -> None:
    # GIVEN a cohort smaller than the candidate list
    cohort = random_cohort(11, n_mentees=60, n_mentors=25)

    # WHEN matched by both solvers
    exact = match_cohort(cohort.mentees, cohort.mentors, MatchingPolicy(solver="exact"), cohort.past_pairs)
    sparse = match_cohort(
        cohort.mentees, cohort.mentors, MatchingPolicy(solver="sparse", sparse_k=25), cohort.past_pairs
    )

    # THEN the sparse graph is the full graph and its optimum is the exact one
    assert total(sparse) == pytest.approx(total(exact), abs=1e-9)


def test_sparse_max_matched_places_as_many_as_exact_on_a_mid_size_cohort() -> None:
    # GIVEN a mid-size cohort
    cohort = random_cohort(5, n_mentees=300, n_mentors=100)

    # WHEN both solvers maximise the number of pairs
    exact = match_cohort(
        cohort.mentees, cohort.mentors, MatchingPolicy(solver="exact", objective="max_matched"), cohort.past_pairs
    )
    sparse = match_cohort(
        cohort.mentees, cohort.mentors, MatchingPolicy(solver="sparse", objective="max_matched"), cohort.past_pairs
    )

    # THEN the sparse solver places as many people
    assert sparse.figures.matched == exact.figures.matched


def test_auto_solver_is_exact_up_to_the_threshold_and_sparse_beyond() -> None:
    # GIVEN a policy with a threshold of 100 mentee-places
    policy = MatchingPolicy(sparse_threshold=100)

    # WHEN cohort sizes on either side of it are resolved
    small = choose_solver(policy, mentees=10, places=10)
    large = choose_solver(policy, mentees=11, places=10)

    # THEN auto switches from exact to sparse, and explicit choices win
    assert (small, large) == ("exact", "sparse")
    assert choose_solver(policy.model_copy(update={"solver": "stable"}), 1000, 1000) == "stable"


def test_auto_solver_uses_sparse_on_a_cohort_above_the_threshold() -> None:
    # GIVEN a cohort whose mentees x places exceed a low threshold
    cohort = random_cohort(3, n_mentees=80, n_mentors=30)

    # WHEN matched with auto
    result = match_cohort(cohort.mentees, cohort.mentors, MatchingPolicy(sparse_threshold=50), cohort.past_pairs)

    # THEN the sparse solver ran
    assert result.figures.solver == "sparse"
