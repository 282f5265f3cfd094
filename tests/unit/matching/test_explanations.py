"""Specifications of what a result tells people: why a pair was made, why someone is left out."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.matching import MatchingPolicy, ReasonCode, match_cohort

from .builders import ALL_SOLVERS, mentee, mentor


def test_a_pair_explanation_names_shared_goals_languages_seniority_gap_and_rank() -> None:
    # GIVEN Ana wants leadership and negotiation coaching and ranked Søren second
    ana = mentee(
        "e1",
        "Ana Đorđević",
        tags=("Leadership", "Negotiation", "Public speaking"),
        languages=("sr", "en", "da"),
        seniority=2,
        utc_offset_minutes=60,
        ranked_mentor_ids=("r9", "r1"),
    )
    soren = mentor(
        "r1",
        "Søren Ærø",
        tags=("leadership", "negotiation", "sailing"),
        languages=("da", "en"),
        seniority=5,
        utc_offset_minutes=60,
        capacity=1,
    )

    # WHEN matched
    result = match_cohort([ana], [soren], MatchingPolicy())

    # THEN the sentence and the structured reasons carry goals, languages, gap and rank
    pair = result.pairs[0]
    assert pair.mentee_rank_of_mentor == 2
    assert pair.explanation == (
        "Ana Đorđević is matched with Søren Ærø: shared goals Leadership and Negotiation; "
        "both speak English and Danish; the mentor has 3 years more experience than the mentee "
        "(preferred 3–10); same time zone; the mentee's choice no. 2."
    )
    reasons = {r.code: dict(r.params) for r in pair.reasons}
    assert reasons[ReasonCode.SHARED_GOALS]["goals"] == ("Leadership", "Negotiation")
    assert reasons[ReasonCode.SHARED_LANGUAGES]["languages"] == ("en", "da")
    assert reasons[ReasonCode.SENIORITY_GAP] == {
        "gap": 3,
        "preferred_min": 3,
        "preferred_max": 10,
        "within_preferred": True,
    }
    assert reasons[ReasonCode.TIMEZONE_GAP] == {"hours": 0.0}
    assert reasons[ReasonCode.RANKED_CHOICE] == {"rank": 2}


def test_a_pair_explanation_says_plainly_when_nothing_is_known() -> None:
    # GIVEN two profiles with every optional field missing and the language rule off
    anon_mentee = mentee("e1", languages=())
    anon_mentor = mentor("r1", languages=())

    # WHEN matched
    result = match_cohort([anon_mentee], [anon_mentor], MatchingPolicy(require_shared_language=False))

    # THEN the explanation names nobody and says what is unknown, without a rank
    pair = result.pairs[0]
    assert pair.mentee_rank_of_mentor is None
    assert pair.explanation == ("The mentee listed no goals; no common language; experience gap unknown.")
    assert ReasonCode.RANKED_CHOICE not in {r.code for r in pair.reasons}


def test_waiting_from_earlier_rounds_is_a_structured_reason_and_part_of_the_sentence() -> None:
    # GIVEN a mentee left out twice before and a mentor left out once
    mentee_profile = mentee("e1", "Žydrūnas Šimkus", priority=2)
    mentor_profile = mentor("r1", "Åse Ørsted", priority=1)

    # WHEN matched
    pair = match_cohort([mentee_profile], [mentor_profile]).pairs[0]

    # THEN the wait is explained
    waited = next(r for r in pair.reasons if r.code == ReasonCode.WAITED_BEFORE)
    assert waited.params == {"mentee_rounds": 2, "mentor_rounds": 1}
    assert "the mentee waited 2 earlier rounds; the mentor waited 1 earlier round" in pair.explanation


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_a_mentee_without_a_common_language_is_told_no_mentor_shares_one(solver: str) -> None:
    # GIVEN a Slovenian-only mentee and English/Danish mentors
    nusa = mentee("e1", "Nuša Kovačič", languages=("sl",))
    mentors = [mentor("r1", "Søren Ærø", languages=("da", "en")), mentor("r2", "Ida Ørsted", languages=("en",))]

    # WHEN matched
    result = match_cohort([nusa], mentors, MatchingPolicy(solver=solver))

    # THEN the reason is no_shared_language, naming her language
    entry = next(u for u in result.unmatched if u.participant_id == "e1")
    assert entry.role == "mentee"
    assert entry.code == ReasonCode.NO_SHARED_LANGUAGE
    assert entry.reason.params["languages"] == ("sl",)
    assert entry.explanation == "No mentor shares a language with Nuša Kovačič (Slovenian)."


def test_a_mentee_nobody_can_take_is_told_which_rule_excluded_most_mentors() -> None:
    # GIVEN Marko's department colleagues are two of three mentors and the third is his manager
    marko = mentee("e1", "Marko Ilić", company="Mreža", department="Prodaja", manager_chain=("boss@mreza.rs",))
    mentors = [
        mentor("r1", "Jovana Petrović", company="Mreža", department="prodaja"),
        mentor("r2", "Đorđe Đorđević", company="MREŽA", department="Prodaja"),
        mentor("r3", "Dragan Jovanović", email="boss@mreza.rs", company="Mreža", department="Uprava"),
    ]

    # WHEN matched
    result = match_cohort([marko], mentors)

    # THEN the reason names the department rule with counts per rule
    entry = next(u for u in result.unmatched if u.participant_id == "e1")
    assert entry.code == ReasonCode.NO_COMPATIBLE_MENTOR
    assert entry.reason.params == {
        "rule": "same_department",
        "excluded": 2,
        "mentors_considered": 3,
        "excluded_by": {"same_department": 2, "manager_chain": 1},
    }
    assert "the rule that excluded the most (2 of 3)" in entry.explanation
    assert "must not work in the mentee's department" in entry.explanation


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_mentees_left_over_when_fitting_mentors_are_full_are_told_so(solver: str) -> None:
    # GIVEN three mentees and one mentor with two places
    mentees = [mentee(f"e{i}", name) for i, name in enumerate(("Eglė", "Rūta", "Gintarė"))]
    ruta_mentor = mentor("r1", "Rasa Kazlauskienė", capacity=2)

    # WHEN matched
    result = match_cohort(mentees, [ruta_mentor], MatchingPolicy(solver=solver))

    # THEN the one left over hears that all fitting mentors are full
    left = [u for u in result.unmatched if u.role == "mentee"]
    assert len(left) == 1
    assert left[0].code == ReasonCode.MENTORS_FULL
    assert left[0].reason.params == {"fitting_mentors": 1}
    assert left[0].explanation.endswith("is full.")


def test_mentors_with_free_places_are_listed_with_the_reason() -> None:
    # GIVEN one mentee, a mentor with three places, one with none, and one nobody fits
    egle = mentee("e1", "Eglė Čiurlionytė", languages=("lt", "en"))
    jurgen = mentor("r1", "Jürgen Groß", capacity=3)
    resting = mentor("r2", "Käthe Müller", capacity=0)
    danish = mentor("r3", "Mikkel Ærø", languages=("da",), capacity=1)

    # WHEN matched
    result = match_cohort([egle], [jurgen, resting, danish])

    # THEN every mentor with a free place is listed, each with its own reason
    mentors = {u.participant_id: u for u in result.unmatched if u.role == "mentor"}
    assert mentors["r1"].code == ReasonCode.SPARE_CAPACITY
    assert mentors["r1"].reason.params == {"capacity": 3, "assigned": 1, "free": 2}
    assert mentors["r2"].code == ReasonCode.MENTOR_CAPACITY_ZERO
    assert mentors["r3"].code == ReasonCode.NO_SHARED_LANGUAGE
    assert mentors["r3"].explanation == "No mentee shares a language with Mikkel Ærø (Danish)."


def test_a_mentor_passed_over_hears_no_mentee_chose_them() -> None:
    # GIVEN two mentors fit the only mentee, who ranked the first
    bjorn_fan = mentee("e1", "Ida Lindqvist", ranked_mentor_ids=("r1",))
    bjorn = mentor("r1", "Björn Müller")
    mikkel = mentor("r2", "Mikkel Ørsted")

    # WHEN matched
    result = match_cohort([bjorn_fan], [bjorn, mikkel])

    # THEN the other mentor is told nobody was assigned and why
    entry = next(u for u in result.unmatched if u.participant_id == "r2")
    assert entry.code == ReasonCode.NO_MENTEE_CHOSE
    assert entry.reason.params == {"capacity": 1, "fitting_mentees": 1, "fitting_unmatched": 0}
    assert entry.explanation == (
        "No mentee was assigned to Mikkel Ørsted: the only mentee who fits was matched elsewhere."
    )


def test_results_serialise_to_json_with_reason_codes_as_plain_strings() -> None:
    # GIVEN a matched pair and an unmatched mentee
    ana = mentee("e1", "Ana Đorđević", tags=("Leadership",))
    nusa = mentee("e2", "Nuša Kovačič", languages=("sl",))
    soren = mentor("r1", "Søren Ærø", tags=("leadership",))

    # WHEN the result is turned into JSON
    payload = json.loads(json.dumps(match_cohort([ana, nusa], [soren]).as_dict(), ensure_ascii=False))

    # THEN codes and params survive for translation
    assert payload["pairs"][0]["reasons"][0] == {
        "code": "shared_goals",
        "params": {"goals": ["Leadership"], "mentee_goal_count": 1},
    }
    assert payload["unmatched"][0]["reason"]["code"] == "no_shared_language"
    assert payload["figures"]["solver"] == "exact"
