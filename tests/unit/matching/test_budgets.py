"""Specifications: every run is planned within its budget, and a run over budget is re-routed or refused."""

from __future__ import annotations

import pytest

from chalicelib.domain.matching import (
    JOB_BUDGET,
    CohortShape,
    MatchingBudget,
    MatchingBudgetExceeded,
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
    RunBudgets,
    match_cohort,
    plan_solver,
)
from chalicelib.domain.matching.budget import estimate, place_run

from .builders import assert_respects_hard_rules, random_cohort, total

# The shapes of the cohorts that fell off a cliff, at their real sizes (planning allocates nothing).
ISSUE_SHAPES = {
    "10k x 200 mentors, capacity 50": CohortShape(10_000, 200, 10_000),
    "10k x 20 mentors, capacity 1000": CohortShape(10_000, 20, 20_000),
    "10k x 3.5k typical": CohortShape(10_000, 3_500, 8_750),
    "20k x 7k typical": CohortShape(20_000, 7_000, 17_500),
    "2k x 700, capacity 1000": CohortShape(2_000, 700, 700_000),
}


@pytest.mark.parametrize("name", sorted(set(ISSUE_SHAPES) - {"20k x 7k typical"}))
def test_default_policy_plans_every_issue_shape_of_10k_within_the_api_budget(name: str) -> None:
    # GIVEN a cohort shape a coordinator can produce through the API
    shape = ISSUE_SHAPES[name]

    # WHEN the default policy plans its run under the default (API) budget
    plan = plan_solver(MatchingPolicy(), shape)

    # THEN the chosen solver's estimate fits the budget
    assert plan.estimate.fits(MatchingBudget())


def test_an_explicitly_chosen_exact_solver_over_budget_is_refused_with_its_estimate() -> None:
    # GIVEN a programme that insists on the exact solver for a large cohort
    policy = MatchingPolicy(solver="exact")

    # WHEN its run is planned
    with pytest.raises(MatchingBudgetExceeded) as refused:
        plan_solver(policy, ISSUE_SHAPES["20k x 7k typical"])

    # THEN it is refused before anything is allocated, saying what it would have cost
    assert refused.value.status_code == 422
    assert refused.value.details["estimates"][0]["solver"] == "exact"
    assert "scheduled job" in refused.value.message


def test_many_places_per_mentor_are_solved_exactly_by_a_flow_that_costs_no_more_than_one_place_each() -> None:
    # GIVEN few mentors with many places each, and the same mentors with one place each
    many = ISSUE_SHAPES["10k x 200 mentors, capacity 50"]
    one = CohortShape(many.mentees, many.mentors, many.mentors)

    # WHEN auto plans the run of many places
    plan = plan_solver(MatchingPolicy(), many)

    # THEN it is solved exactly as a flow over every pair within the API budget, and neither
    # flow is estimated dearer for the places: they are a capacity, not copies
    assert plan.solver == "exact"
    assert plan.estimate.by_flow
    assert plan.estimate.fits(MatchingBudget())
    assert estimate("sparse", many) == estimate("sparse", one)


def test_an_explicitly_chosen_exact_solver_with_many_places_per_mentor_runs_as_a_flow_within_the_api_call() -> None:
    # GIVEN a programme that insists on the exact solver for 2,000 mentees and 700 mentors of 1,000 places
    policy = MatchingPolicy(solver="exact")

    # WHEN the service places a real run of it
    where, plan = place_run(policy, ISSUE_SHAPES["2k x 700, capacity 1000"], RunBudgets())

    # THEN it runs within the API call as a min-cost flow over every pair, not a matrix of every place
    assert where == "api"
    assert plan.solver == "exact"
    assert plan.estimate.by_flow
    assert plan.estimate.fits(MatchingBudget())


def test_a_larger_budget_lets_a_scheduled_job_run_what_the_api_refuses() -> None:
    # GIVEN an explicit exact run that is too large for an API call
    policy = MatchingPolicy(solver="exact")
    shape = CohortShape(12_000, 4_000, 9_000)
    with pytest.raises(MatchingBudgetExceeded):
        plan_solver(policy, shape)

    # WHEN the same run is planned with a job's budget
    plan = plan_solver(policy, shape, MatchingBudget(memory_mb=8_000, seconds=800))

    # THEN it goes ahead
    assert plan.solver == "exact"


# Every row of the issue's table, as the budget sees it (ties and free-text tags change the work
# per cell, which the fitted constants cover, not the shape).
TABLE_SHAPES = {
    **ISSUE_SHAPES,
    "all scores tied, 10k": ISSUE_SHAPES["10k x 3.5k typical"],
    "all scores tied, 20k": ISSUE_SHAPES["20k x 7k typical"],
    "two free-text tags per person, 10k": ISSUE_SHAPES["10k x 3.5k typical"],
    "no goals or rankings, 10k": ISSUE_SHAPES["10k x 3.5k typical"],
}


@pytest.mark.parametrize("name", sorted(TABLE_SHAPES))
def test_a_real_run_of_every_table_shape_runs_within_the_api_call_or_is_queued_for_the_job(name: str) -> None:
    # GIVEN a shape of the issue's table, places counted up to the number of mentees
    shape = TABLE_SHAPES[name]

    # WHEN the service places a real run with the default policy
    where, plan = place_run(MatchingPolicy(), shape, RunBudgets())

    # THEN cohorts of 10k run within the API call; 20k x 7k (about 24 s measured, past the API's
    # 20 s budget) goes to the matching job, on a plan that fits that budget
    if shape.mentees <= 10_000:
        assert where == "api"
        assert plan.estimate.fits(MatchingBudget())
    else:
        assert where == "job"
        assert plan.solver == "sparse"
        assert plan.estimate.fits(JOB_BUDGET)


def test_a_chosen_exact_solver_too_large_even_for_the_job_is_refused_before_it_starts() -> None:
    # GIVEN a programme that insists on the exact solver for a cohort no function could hold exactly
    policy = MatchingPolicy(solver="exact")

    # WHEN the service places a real run of the shape
    with pytest.raises(MatchingBudgetExceeded) as refused:
        place_run(policy, TABLE_SHAPES["20k x 7k typical"], RunBudgets())

    # THEN it is refused with the job's budget and what to do instead
    assert "smaller groups" in refused.value.message
    assert refused.value.details["budget"]["memory_mb"] == JOB_BUDGET.memory_mb


def test_a_chosen_exact_solver_over_the_api_budget_but_within_the_job_budget_goes_to_the_job() -> None:
    # GIVEN a programme that insists on the exact solver for a typical 10k cohort
    policy = MatchingPolicy(solver="exact")

    # WHEN the service places a real run of it
    where, plan = place_run(policy, TABLE_SHAPES["all scores tied, 10k"], RunBudgets())

    # THEN the matching job runs it, within the job's budget
    assert where == "job"
    assert plan.solver == "exact"
    assert plan.estimate.fits(JOB_BUDGET)
    assert not plan.estimate.fits(MatchingBudget())


def test_a_run_that_fits_no_solver_raises_before_matching_and_names_every_estimate() -> None:
    # GIVEN a small cohort and an absurdly small budget
    cohort = random_cohort(3, n_mentees=40, n_mentors=12)

    # WHEN it is matched
    with pytest.raises(MatchingBudgetExceeded) as refused:
        match_cohort(cohort.mentees, cohort.mentors, past_pairs=cohort.past_pairs, budget=MatchingBudget(1, 0.0001))

    # THEN the reason lists what each solver would have needed
    assert {e["solver"] for e in refused.value.details["estimates"]} >= {"sparse", "auction", "stable"}


def _cohort(
    n_mentees: int, n_mentors: int, capacity: int, *, tags: str = "shared", ties: bool = False, waits: int = 0
) -> tuple[list[MenteeProfile], list[MentorProfile]]:
    """A cohort of one of the shapes coordinators produce, small enough for the unit tier.

    ``waits`` gives mentors that many different numbers of rounds waited, which every
    mentee's scores follow alike.
    """
    goals = ("leadership", "writing", "negotiation", "coaching", "hiring")

    def tags_of(prefix: str, k: int) -> tuple[str, ...]:
        if ties or tags == "none":
            return ()
        if tags == "free text":
            return (f"{prefix}{k} own goal", goals[k % len(goals)])
        return (goals[k % len(goals)], goals[(k * 7) % len(goals)])

    mentees = [
        MenteeProfile(
            participant_id=f"e{i:05d}",
            email=f"e{i}@mentees.example",
            languages=("en",),
            tags=tags_of("e", i),
            seniority=None if ties else i % 5,
            utc_offset_minutes=None if ties else 60 * (i % 3),
        )
        for i in range(n_mentees)
    ]
    mentors = [
        MentorProfile(
            participant_id=f"r{j:04d}",
            email=f"r{j}@mentors.example",
            languages=("en",),
            tags=tags_of("r", j),
            seniority=None if ties else 3 + j % 5,
            utc_offset_minutes=None if ties else 60 * (j % 2),
            capacity=capacity,
            priority=j % waits if waits else 0,
        )
        for j in range(n_mentors)
    ]
    return mentees, mentors


SMALL_SHAPES = {
    "few mentors, capacity 50": dict(n_mentees=500, n_mentors=8, capacity=50),
    "very few mentors, capacity 1000": dict(n_mentees=500, n_mentors=2, capacity=1000),
    "all scores tied": dict(n_mentees=600, n_mentors=250, capacity=2, ties=True),
    "two free-text tags per person": dict(n_mentees=500, n_mentors=200, capacity=2, tags="free text"),
    "no goals or rankings": dict(n_mentees=500, n_mentors=200, capacity=2, tags="none"),
    # Every mentee's own best mentors are the same few, whose places their lists cannot fill.
    "no goals, mentors who waited different rounds": dict(
        n_mentees=500, n_mentors=200, capacity=2, tags="none", waits=7
    ),
    # Five seniority levels and a few time zones tie scores in classes; every place is needed.
    "scores tied in classes, as many places as mentees": dict(n_mentees=600, n_mentors=200, capacity=3, tags="none"),
}


@pytest.mark.parametrize("name", sorted(SMALL_SHAPES))
@pytest.mark.parametrize("solver", ["sparse", "auction"])
def test_graph_solvers_stay_near_the_exact_optimum_on_every_issue_shape(name: str, solver: str) -> None:
    # GIVEN a small cohort of one of the shapes coordinators produce
    mentees, mentors = _cohort(**SMALL_SHAPES[name])  # type: ignore[arg-type]

    # WHEN matched exactly and by a candidate-graph solver with a short candidate list
    exact = match_cohort(mentees, mentors, MatchingPolicy(solver="exact"))
    policy = MatchingPolicy.model_validate({"solver": solver, "sparse_k": 10})
    approximate = match_cohort(mentees, mentors, policy)

    # THEN it keeps every rule and reaches 99.9% of the optimum
    assert_respects_hard_rules(approximate, tuple(mentees), tuple(mentors), policy)
    assert approximate.figures.solver == solver
    assert total(approximate) >= 0.999 * total(exact)
    assert total(approximate) <= total(exact) + 1e-6


def test_tie_breaks_are_reproducible_and_rotate_from_round_to_round() -> None:
    # GIVEN a cohort where every pair is worth the same and there are fewer places than mentees
    mentees, mentors = _cohort(n_mentees=300, n_mentors=100, capacity=1, ties=True)
    policy = MatchingPolicy(solver="sparse", sparse_k=5)

    # WHEN matched twice with one round's seed and once with the next round's
    first = match_cohort(mentees, mentors, policy, tie_break="prog_1:round-1")
    again = match_cohort(mentees, mentors, policy, tie_break="prog_1:round-1")
    later = match_cohort(mentees, mentors, policy, tie_break="prog_1:round-2")

    # THEN one seed gives one answer, and another round places other people
    def placed(result: object) -> set[str]:
        return {p.mentee_id for p in result.pairs}  # type: ignore[attr-defined]

    assert [(p.mentee_id, p.mentor_id) for p in first.pairs] == [(p.mentee_id, p.mentor_id) for p in again.pairs]
    assert first.figures.matched == later.figures.matched == 100
    assert placed(first) != placed(later)


@pytest.mark.parametrize("solver", ["exact", "stable"])
def test_dense_solvers_rotate_ties_from_round_to_round_too(solver: str) -> None:
    # GIVEN a small cohort where every pair is worth the same, with fewer places than mentees
    mentees, mentors = _cohort(n_mentees=40, n_mentors=20, capacity=1, ties=True)
    policy = MatchingPolicy.model_validate({"solver": solver})

    # WHEN matched with one round's seed twice and with the next round's
    first = match_cohort(mentees, mentors, policy, tie_break="prog_1:round-1")
    again = match_cohort(mentees, mentors, policy, tie_break="prog_1:round-1")
    later = match_cohort(mentees, mentors, policy, tie_break="prog_1:round-2")

    # THEN one seed gives one answer, and the next round places other people
    def placed(result: object) -> set[str]:
        return {p.mentee_id for p in result.pairs}  # type: ignore[attr-defined]

    assert first.pairs == again.pairs
    assert first.figures.matched == later.figures.matched == 20
    assert placed(first) != placed(later)
