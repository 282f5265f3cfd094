"""Specifications of the stable solver: deferred acceptance leaves no blocking pair."""

from __future__ import annotations

import pytest

from chalicelib.domain.matching import MatchingPolicy, match_cohort

from .builders import blocking_pairs, mentee, mentor, random_cohort, total


@pytest.mark.parametrize("seed", range(30))
def test_stable_mode_leaves_no_blocking_pair(seed: int) -> None:
    # GIVEN a seeded random cohort with capacities and conflicts
    cohort = random_cohort(2000 + seed, n_mentees=18, n_mentors=7)
    policy = MatchingPolicy(solver="stable")

    # WHEN matched by deferred acceptance
    result = match_cohort(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)

    # THEN no mentee and mentor would both rather be together than with what they got
    assert blocking_pairs(result, cohort.mentees, cohort.mentors, policy, cohort.past_pairs) == []
    assert result.figures.solver == "stable"


def test_the_exact_optimum_can_contain_a_blocking_pair_that_stable_mode_avoids() -> None:
    # GIVEN Eglė and Søren slightly prefer each other (one of her four goals), but Milica can only take Søren
    egle = mentee(
        "e1",
        "Eglė Čiurlionytė",
        tags=("leadership", "writing", "hiring", "strategy"),
        languages=("en", "da"),
    )
    milica = mentee("e2", "Милица Јовановић", languages=("da",))
    soren = mentor("r1", "Søren Ærø", tags=("Leadership",), languages=("da",), capacity=1)
    ase = mentor("r2", "Åse Ørsted", languages=("en",), capacity=1)

    # WHEN matched for the highest total and for stability
    optimal = match_cohort([egle, milica], [soren, ase], MatchingPolicy(solver="exact"))
    stable = match_cohort([egle, milica], [soren, ase], MatchingPolicy(solver="stable"))

    # THEN the optimum places both at the cost of a blocking pair; stable mode has none
    assert {(p.mentee_id, p.mentor_id) for p in optimal.pairs} == {("e1", "r2"), ("e2", "r1")}
    assert blocking_pairs(optimal, (egle, milica), (soren, ase), MatchingPolicy()) == [("e1", "r1")]
    assert {(p.mentee_id, p.mentor_id) for p in stable.pairs} == {("e1", "r1")}
    assert total(stable) < total(optimal)


def test_stable_mode_is_deterministic_and_independent_of_input_order() -> None:
    # GIVEN a cohort and the same cohort listed backwards
    cohort = random_cohort(77, n_mentees=20, n_mentors=8)
    policy = MatchingPolicy(solver="stable")

    # WHEN both are matched
    forward = match_cohort(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)
    backward = match_cohort(cohort.mentees[::-1], cohort.mentors[::-1], policy, cohort.past_pairs)

    # THEN the pairs are the same
    assert forward.pairs == backward.pairs


def test_stable_mode_ignores_the_objective_because_all_stable_matchings_place_the_same_people() -> None:
    # GIVEN a cohort
    cohort = random_cohort(31, n_mentees=15, n_mentors=6)

    # WHEN matched stably under both objectives
    by_score = match_cohort(cohort.mentees, cohort.mentors, MatchingPolicy(solver="stable"), cohort.past_pairs)
    by_count = match_cohort(
        cohort.mentees,
        cohort.mentors,
        MatchingPolicy(solver="stable", objective="max_matched"),
        cohort.past_pairs,
    )

    # THEN the result does not change
    assert by_score.pairs == by_count.pairs
