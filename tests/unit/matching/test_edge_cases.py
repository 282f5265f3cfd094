"""Specifications for degenerate cohorts and duplicate profiles: no exceptions, honest answers."""

from __future__ import annotations

import gc

import pytest

from chalicelib.domain.matching import (
    MatchingPolicy,
    MenteeProfile,
    MentorProfile,
    ReasonCode,
    match_cohort,
)

from .builders import ALL_SOLVERS, mentee, mentor, random_cohort


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_a_cohort_without_mentors_leaves_every_mentee_unmatched_with_a_reason(solver: str) -> None:
    # GIVEN mentees and no mentors
    mentees = [mentee("e1", "Đorđe Đorđević"), mentee("e2", "Eglė Čiurlionytė")]

    # WHEN matched
    result = match_cohort(mentees, [], MatchingPolicy(solver=solver))

    # THEN nobody is matched and both are told there are no mentors
    assert result.pairs == ()
    assert [(u.participant_id, u.code) for u in result.unmatched] == [
        ("e1", ReasonCode.NO_MENTOR_PLACES),
        ("e2", ReasonCode.NO_MENTOR_PLACES),
    ]
    assert (
        result.unmatched[0].explanation == "There are no mentors in this round, so Đorđe Đorđević could not be matched."
    )
    assert result.figures.mean_score is None
    assert result.figures.min_score is None


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_a_cohort_without_mentees_lists_every_mentor_as_having_no_mentees(solver: str) -> None:
    # GIVEN mentors and no mentees
    mentors = [mentor("r1", "Søren Ærø", capacity=2), mentor("r2", "Åse Ørsted", capacity=0)]

    # WHEN matched
    result = match_cohort([], mentors, MatchingPolicy(solver=solver))

    # THEN the mentors are listed with their reasons
    assert result.pairs == ()
    assert [(u.participant_id, u.code) for u in result.unmatched] == [
        ("r1", ReasonCode.NO_MENTEES),
        ("r2", ReasonCode.MENTOR_CAPACITY_ZERO),
    ]
    assert result.figures.matched == 0
    assert result.figures.free_places == 2


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_an_empty_cohort_gives_an_empty_result(solver: str) -> None:
    # GIVEN nobody
    # WHEN matched
    result = match_cohort([], [], MatchingPolicy(solver=solver))

    # THEN the result is empty and the figures are zero or None
    assert (result.pairs, result.unmatched) == ((), ())
    assert result.figures.total_score == 0.0
    assert result.figures.ranked_choice_share is None


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_when_every_mentor_has_capacity_zero_mentees_hear_that_no_places_are_offered(solver: str) -> None:
    # GIVEN mentors who all take nobody this round
    mentees = [mentee("e1", "Jovana Petrović")]
    mentors = [mentor("r1", "Jürgen Groß", capacity=0), mentor("r2", "Käthe Müller", capacity=0)]

    # WHEN matched
    result = match_cohort(mentees, mentors, MatchingPolicy(solver=solver))

    # THEN no pairs, a clear mentee reason, and each mentor marked capacity zero
    assert result.pairs == ()
    codes = {u.participant_id: u.code for u in result.unmatched}
    assert codes == {
        "e1": ReasonCode.NO_MENTOR_PLACES,
        "r1": ReasonCode.MENTOR_CAPACITY_ZERO,
        "r2": ReasonCode.MENTOR_CAPACITY_ZERO,
    }
    assert (
        result.unmatched[0].explanation
        == "No mentor offers a place in this round, so Jovana Petrović could not be matched."
    )


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_more_mentees_than_places_fills_every_place(solver: str) -> None:
    # GIVEN ten mentees and three places
    mentees = [mentee(f"e{i:02d}", f"Mentee {i}") for i in range(10)]
    mentors = [mentor("r1", "Søren Ærø", capacity=2), mentor("r2", "Špela Žagar", capacity=1)]

    # WHEN matched
    result = match_cohort(mentees, mentors, MatchingPolicy(solver=solver))

    # THEN all places are used and seven mentees are told the mentors are full
    assert result.figures.matched == 3
    assert result.figures.free_places == 0
    assert [u.code for u in result.unmatched] == [ReasonCode.MENTORS_FULL] * 7


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_profiles_with_every_optional_field_missing_match_under_the_default_policy(solver: str) -> None:
    # GIVEN bare profiles (only id and e-mail) and the default policy
    bare_mentee = MenteeProfile(participant_id="e1", email="milica@example.rs")
    bare_mentor = MentorProfile(participant_id="r1", email="soren@example.dk")

    # WHEN matched
    strict = match_cohort([bare_mentee], [bare_mentor], MatchingPolicy(solver=solver))
    relaxed = match_cohort([bare_mentee], [bare_mentor], MatchingPolicy(solver=solver, require_shared_language=False))

    # THEN without languages the default language rule keeps them apart, and with it off they pair
    assert strict.pairs == ()
    assert strict.unmatched[0].code == ReasonCode.NO_SHARED_LANGUAGE
    assert strict.unmatched[0].explanation == "No mentor shares a language with e1 (no language listed)."
    assert [(p.mentee_id, p.mentor_id) for p in relaxed.pairs] == [("e1", "r1")]
    assert relaxed.pairs[0].score > 0


def test_match_cohort_works_without_an_explicit_policy() -> None:
    # GIVEN a small random cohort
    cohort = random_cohort(1, n_mentees=8, n_mentors=4)

    # WHEN matched with no policy argument at all
    result = match_cohort(cohort.mentees, cohort.mentors)

    # THEN the defaults apply
    assert result.figures.solver == "exact"
    assert result.figures.objective == "max_score"


def test_duplicate_mentee_profiles_keep_the_smallest_participant_id_and_report_the_rest() -> None:
    # GIVEN Đorđe registered three times with the same e-mail in different case
    first = mentee("e-100", "Đorđe Đorđević", email="Djordje.Djordjevic@mreza.rs")
    again = mentee("e-200", "Đorđe Đorđević", email="djordje.djordjevic@MREZA.rs")
    third = mentee("e-050", "Ђорђе Ђорђевић", email=" djordje.djordjevic@mreza.rs")
    soren = mentor("r1", "Søren Ærø", capacity=3)

    # WHEN matched (input order should not matter)
    result = match_cohort([first, again, third], [soren])

    # THEN only e-050 is matched, the other two are reported as duplicates of it
    assert [p.mentee_id for p in result.pairs] == ["e-050"]
    duplicates = {u.participant_id: u for u in result.unmatched if u.code == ReasonCode.DUPLICATE_PROFILE}
    assert set(duplicates) == {"e-100", "e-200"}
    assert duplicates["e-100"].reason.params == {
        "kept_participant_id": "e-050",
        "email": "djordje.djordjevic@mreza.rs",
        "role": "mentee",
    }
    assert result.figures.duplicates == 2
    assert result.figures.mentees == 1


def test_a_ranked_choice_of_a_duplicate_mentor_profile_counts_for_the_kept_profile() -> None:
    # GIVEN Åse is listed twice; Gintarė ranked the copy that gets dropped
    kept = mentor("r-1", "Åse Ørsted", email="ase@oresund.dk", capacity=1)
    dropped = mentor("r-2", "Åse Ørsted", email="ASE@oresund.dk", capacity=1)
    other = mentor("r-3", "Mikkel Ærø", capacity=1)
    gintare = mentee("e1", "Gintarė Kazlauskienė", ranked_mentor_ids=("r-2",))

    # WHEN matched
    result = match_cohort([gintare], [dropped, other, kept])

    # THEN she gets Åse as her first choice and the copy is reported
    assert [(p.mentor_id, p.mentee_rank_of_mentor) for p in result.pairs] == [("r-1", 1)]
    assert {u.participant_id: u.code for u in result.unmatched}["r-2"] == ReasonCode.DUPLICATE_PROFILE


def test_the_same_participant_id_listed_twice_is_used_once() -> None:
    # GIVEN the same mentor record passed twice
    ida = mentor("r1", "Ida Lindqvist", capacity=1)

    # WHEN matched with two mentees
    result = match_cohort([mentee("e1", "Eglė"), mentee("e2", "Rūta")], [ida, ida])

    # THEN her single place is not doubled
    assert result.figures.matched == 1
    assert result.figures.duplicates == 1


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_results_do_not_depend_on_the_order_profiles_are_given_in(solver: str) -> None:
    # GIVEN a cohort and a shuffled copy of it
    cohort = random_cohort(42, n_mentees=16, n_mentors=6)
    policy = MatchingPolicy(solver=solver)

    # WHEN both are matched
    forward = match_cohort(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)
    shuffled = match_cohort(cohort.mentees[1::2] + cohort.mentees[::2], cohort.mentors[::-1], policy, cohort.past_pairs)

    # THEN pairs and unmatched reasons are identical
    assert forward == shuffled


def test_invalid_profiles_are_rejected_early() -> None:
    # GIVEN profile data that cannot be matched meaningfully
    # WHEN / THEN constructing them fails with a clear error
    with pytest.raises(ValueError, match="negative capacity"):
        MentorProfile(participant_id="r1", email="a@b.dk", capacity=-1)
    with pytest.raises(ValueError, match="no e-mail"):
        MenteeProfile(participant_id="e1", email="  ")
    with pytest.raises(ValueError, match="negative priority"):
        MenteeProfile(participant_id="e1", email="a@b.lt", priority=-2)


def test_figures_summarise_the_round() -> None:
    # GIVEN two mentees who ranked mentors, one who did not, and four places
    mentees = [
        mentee("e1", "Eglė", ranked_mentor_ids=("r1",)),
        mentee("e2", "Rūta", ranked_mentor_ids=("r9",)),
        mentee("e3", "Špela"),
    ]
    mentors = [mentor("r1", "Søren", capacity=2), mentor("r2", "Åse", capacity=2)]

    # WHEN matched
    result = match_cohort(mentees, mentors)

    # THEN the share of ranked choices counts only mentees who ranked a mentor of this round
    figures = result.figures
    assert (figures.mentees, figures.mentors, figures.places, figures.matched) == (3, 2, 4, 3)
    assert figures.free_places == 1
    assert figures.ranked_choice_share == 1.0
    assert figures.min_score is not None
    assert figures.mean_score == pytest.approx(figures.total_score / 3)


@pytest.mark.parametrize("collector_on", [True, False], ids=["collector-on", "collector-off"])
def test_a_run_leaves_the_callers_garbage_collector_as_it_found_it(collector_on: bool) -> None:
    # GIVEN a caller whose cyclic garbage collector is on, or one who turned it off
    was_enabled = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        cohort = random_cohort(2, n_mentees=10, n_mentors=4)

        # WHEN a cohort is matched, the collector held off during the run
        result = match_cohort(cohort.mentees, cohort.mentors)

        # THEN the collector is back in the caller's state
        assert result.pairs
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was_enabled else gc.disable)()
