"""Specifications: no solver ever proposes a pair that breaks a hard rule or overfills a mentor."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chalicelib.domain.matching import MatchingPolicy, match_cohort, score_table
from chalicelib.domain.matching.scoring import CohortMatrix

from .builders import (
    ALL_SOLVERS,
    assert_respects_hard_rules,
    broken_rules,
    mentee,
    mentor,
    random_cohort,
)

POLICIES = {
    "default": MatchingPolicy(),
    "cross_company": MatchingPolicy(cross_company=True),
    "lenient": MatchingPolicy(forbid_same_department=False, require_shared_language=False, forbid_repeat_pairs=False),
    "max_matched": MatchingPolicy(objective="max_matched", sparse_k=2),
}


@pytest.mark.parametrize("solver", ALL_SOLVERS)
@pytest.mark.parametrize("policy_name", sorted(POLICIES))
def test_every_solver_respects_every_hard_rule_and_capacity_on_random_cohorts(solver: str, policy_name: str) -> None:
    for seed in range(25):
        # GIVEN a seeded random cohort full of conflicts
        cohort = random_cohort(seed, n_mentees=14, n_mentors=6)
        policy = POLICIES[policy_name].model_copy(update={"solver": solver})

        # WHEN it is matched
        result = match_cohort(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)

        # THEN no pair breaks a rule, no mentee has two mentors and no mentor exceeds capacity
        assert_respects_hard_rules(result, cohort.mentees, cohort.mentors, policy, cohort.past_pairs)


@pytest.mark.parametrize("policy_name", sorted(POLICIES))
def test_score_table_forbids_exactly_the_pairs_that_break_a_rule(policy_name: str) -> None:
    policy = POLICIES[policy_name]
    for seed in range(10):
        # GIVEN a seeded random cohort
        cohort = random_cohort(seed, n_mentees=12, n_mentors=7)

        # WHEN the score table is built
        table = score_table(cohort.mentees, cohort.mentors, policy, cohort.past_pairs)

        # THEN a pair has no score exactly when the independent rule check says it breaks a rule
        mentees = {p.participant_id: p for p in cohort.mentees}
        mentors = {p.participant_id: p for p in cohort.mentors}
        for i, mentee_id in enumerate(table.mentee_ids):
            for j, mentor_id in enumerate(table.mentor_ids):
                everyone = (*cohort.mentees, *cohort.mentors)
                breaks = broken_rules(mentees[mentee_id], mentors[mentor_id], policy, cohort.past_pairs, everyone)
                assert math.isnan(table.scores[i, j]) == bool(breaks), (mentee_id, mentor_id, breaks)


@pytest.mark.parametrize("policy_name", sorted(POLICIES))
def test_the_feasible_pairs_are_exactly_those_no_rule_excludes(policy_name: str) -> None:
    for seed in range(10):
        # GIVEN a seeded random cohort full of conflicts, each e-mail once per side (as the engine
        # de-duplicates it), encoded
        cohort = random_cohort(seed, n_mentees=12, n_mentors=7)
        mentees = list({p.email: p for p in reversed(cohort.mentees)}.values())
        cm = CohortMatrix(mentees, cohort.mentors, POLICIES[policy_name], cohort.past_pairs)
        rows = np.arange(cm.n_mentees, dtype=np.intp)
        cols = np.array([5, 0, 3], dtype=np.intp)

        # WHEN its feasible pairs are asked for, of every mentor and of some
        excluded = np.zeros((cm.n_mentees, cm.n_mentors), dtype=np.bool_)
        for mask in cm.violations(rows).values():
            excluded |= mask

        # THEN they are the pairs that no rule's own mask excludes
        assert np.array_equal(cm.feasible(rows), ~excluded)
        assert np.array_equal(cm.feasible(rows, cols), ~excluded[:, cols])


@pytest.mark.parametrize("policy_name", ["default", "cross_company"])
def test_a_cohort_too_varied_for_one_rule_table_is_held_to_the_same_rules(policy_name: str) -> None:
    # GIVEN 2,100 mentees and 2,100 mentors, each in a team of their own, so no table of person
    # groups fits, and each mentee shares a team (and a company) with one mentor
    policy = POLICIES[policy_name]
    size = 2_100
    companies = ("Đorđević d.o.o.", "Ærø ApS", None)
    languages = (("en",), ("sr", "en"), ("lt",), ("da",))
    mentees = [
        mentee(f"e{i}", company=companies[i % 3], department=f"Team {i}", languages=languages[i % 4])
        for i in range(size)
    ]
    mentors = [
        mentor(f"r{j}", company=companies[j % 3], department=f"team {j}", languages=languages[(j // 4) % 4])
        for j in range(size)
    ]

    # WHEN the score table is built
    table = score_table(mentees, mentors, policy)

    # THEN a pair has no score exactly when the independent rule check says it breaks a rule,
    # on the shared teams and on a sample of every other pair
    row = {pid: i for i, pid in enumerate(table.mentee_ids)}
    col = {pid: j for j, pid in enumerate(table.mentor_ids)}
    rng = np.random.default_rng(11)
    pairs = [(i, i) for i in range(0, size, 7)] + [(int(i), int(j)) for i, j in rng.integers(0, size, size=(1_500, 2))]
    for i, j in pairs:
        breaks = broken_rules(mentees[i], mentors[j], policy)
        score = table.scores[row[mentees[i].participant_id], col[mentors[j].participant_id]]
        assert math.isnan(score) == bool(breaks), (i, j, breaks)
    assert any("same_department" in broken_rules(mentees[i], mentors[i], policy) for i in range(size))


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_a_mentor_in_the_mentees_reporting_line_is_never_proposed(solver: str) -> None:
    # GIVEN Jovana, whose manager is the only mentor, and a mentor whose own chain names mentee Eglė
    jovana = mentee("e1", "Jovana Petrović", manager_chain=("Dragan.Ilic@mreza.rs", "ceo@mreza.rs"))
    egle = mentee("e2", "Eglė Čiurlionytė", email="egle@tinklai.lt")
    dragan = mentor("r1", "Dragan Ilić", email="dragan.ilic@mreza.rs", capacity=2)
    rasa = mentor("r2", "Rasa Šimkutė", manager_chain=("EGLE@tinklai.lt",), capacity=2)

    # WHEN matched
    result = match_cohort([jovana, egle], [dragan, rasa], MatchingPolicy(solver=solver))

    # THEN the reporting line is respected in both directions
    pairs = {(p.mentee_id, p.mentor_id) for p in result.pairs}
    assert pairs == {("e1", "r2"), ("e2", "r1")}


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_nobody_is_matched_with_themselves(solver: str) -> None:
    # GIVEN Søren signed up as mentee and as mentor (same e-mail, different case)
    soren_mentee = mentee("e1", "Søren Ærø", email="Soren.Aero@nordlys.dk")
    soren_mentor = mentor("r1", "Søren Ærø", email="soren.aero@nordlys.dk ")

    # WHEN matched
    result = match_cohort([soren_mentee], [soren_mentor], MatchingPolicy(solver=solver))

    # THEN he is not paired with himself
    assert result.pairs == ()
    assert result.unmatched[0].code == "no_compatible_mentor"
    assert result.unmatched[0].reason.params["rule"] == "self"


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_cross_company_mode_only_pairs_known_different_companies(solver: str) -> None:
    # GIVEN mentees of a known company, one of an unknown company, and mentors in and outside it
    ana = mentee("e1", "Ana Đorđević", company="Beogradska Mreža")
    nameless = mentee("e2", "Милица Јовановић", company=None)
    colleague = mentor("r1", "Marko Ilić", company="beogradska mreža", capacity=3)
    outsider = mentor("r2", "Åse Ørsted", company="Nordlys ApS", capacity=3)
    policy = MatchingPolicy(cross_company=True, solver=solver)

    # WHEN matched
    result = match_cohort([ana, nameless], [colleague, outsider], policy)

    # THEN only Ana is matched, with the outsider (company names compare case-insensitively)
    assert [(p.mentee_id, p.mentor_id) for p in result.pairs] == [("e1", "r2")]
    assert {u.participant_id: u.code for u in result.unmatched if u.role == "mentee"} == {"e2": "no_compatible_mentor"}


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_same_department_is_only_forbidden_within_the_same_company(solver: str) -> None:
    # GIVEN "Sales" exists in two companies, and a mentor whose department is unknown
    nusa = mentee("e1", "Nuša Kovačič", company="Ljubljanski Kod", department="Sales")
    same_dept = mentor("r1", "Špela Žagar", company="ljubljanski kod", department="SALES", capacity=1)
    other_company = mentor("r2", "Jürgen Groß", company="Rheinwerk", department="Sales", capacity=1)
    unknown_dept = mentor("r3", "Matej Novak", company="Ljubljanski Kod", department=None, capacity=1)
    policy = MatchingPolicy(solver=solver)

    # WHEN the score table and the match are computed
    table = score_table([nusa], [same_dept, other_company, unknown_dept], policy)
    result = match_cohort([nusa], [same_dept, other_company, unknown_dept], policy)

    # THEN only the same company's same department is forbidden
    assert math.isnan(table.scores[0, 0])
    assert not math.isnan(table.scores[0, 1])
    assert not math.isnan(table.scores[0, 2])
    assert result.pairs[0].mentor_id != "r1"


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_a_past_pair_is_not_repeated_unless_the_policy_allows_it(solver: str) -> None:
    # GIVEN Gintarė was mentored by Björn last round and he is still her best fit
    gintare = mentee("e1", "Gintarė Kazlauskienė", tags=("leadership",), ranked_mentor_ids=("r1",))
    bjorn = mentor("r1", "Björn Müller", tags=("Leadership",), capacity=1)
    ida = mentor("r2", "Ida Lindqvist", capacity=1)
    past = frozenset({("e1", "r1")})

    # WHEN matched with and without the repeat rule
    strict = match_cohort([gintare], [bjorn, ida], MatchingPolicy(solver=solver), past)
    relaxed = match_cohort([gintare], [bjorn, ida], MatchingPolicy(solver=solver, forbid_repeat_pairs=False), past)

    # THEN the repeat is avoided only when forbidden
    assert [p.mentor_id for p in strict.pairs] == ["r2"]
    assert [p.mentor_id for p in relaxed.pairs] == ["r1"]


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_a_shared_language_is_required_only_when_the_policy_says_so(solver: str) -> None:
    # GIVEN a Lithuanian-only mentee and a Danish/German mentor
    ruta = mentee("e1", "Rūta Šimkienė", languages=("LT",))
    mikkel = mentor("r1", "Mikkel Ørsted", languages=("da", "de"), capacity=1)

    # WHEN matched with and without the language rule
    strict = match_cohort([ruta], [mikkel], MatchingPolicy(solver=solver))
    relaxed = match_cohort([ruta], [mikkel], MatchingPolicy(solver=solver, require_shared_language=False))

    # THEN the pair exists only without the rule
    assert strict.pairs == ()
    assert [(p.mentee_id, p.mentor_id) for p in relaxed.pairs] == [("e1", "r1")]


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_a_popular_mentor_never_takes_more_mentees_than_their_capacity(solver: str) -> None:
    # GIVEN five mentees who all rank Käthe first, and Käthe takes two
    mentees = [mentee(f"e{i}", f"Mentee {i}", ranked_mentor_ids=("r1",)) for i in range(5)]
    kathe = mentor("r1", "Käthe Groß", capacity=2)
    backup = mentor("r2", "Ida Lindqvist", capacity=1)

    # WHEN matched
    result = match_cohort(mentees, [kathe, backup], MatchingPolicy(solver=solver))

    # THEN Käthe gets exactly two, the backup one, and two mentees wait for a full mentor
    load = [p.mentor_id for p in result.pairs]
    assert load.count("r1") == 2
    assert load.count("r2") == 1
    assert [u.code for u in result.unmatched if u.role == "mentee"] == ["mentors_full", "mentors_full"]
