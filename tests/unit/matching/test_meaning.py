"""Specifications: the engine reads companies, reporting lines, duplicates and goals the way people mean them."""

from __future__ import annotations

import pytest

from chalicelib.domain.matching import MatchingPolicy, match_cohort, normalise_company

from .builders import mentee, mentor


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        ("Fjord Software A/S", "Fjord Software"),
        ("fjord software, ApS", "FJORD SOFTWARE"),
        ("Đorđević d.o.o.", "Đorđević"),
        ("Čiurlionytė UAB", "čiurlionytė"),
        ("Rheinwerk GmbH", "Rheinwerk"),
        ("Nordlys AB", "Nordlys"),
        ("Acme Ltd.", "ACME Inc"),
    ],
)
def test_company_names_differing_in_case_punctuation_or_legal_form_are_one_company(typed: str, same_as: str) -> None:
    # GIVEN two spellings of one employer
    # WHEN both are normalised
    # THEN they compare equal
    assert normalise_company(typed) == normalise_company(same_as)


def test_a_name_that_is_only_a_legal_form_is_kept_and_different_companies_stay_different() -> None:
    # GIVEN a company called "AB" and two distinct companies
    # WHEN normalised
    # THEN "AB" is not emptied, and Fjord is not Fjell
    assert normalise_company("AB") == "ab"
    assert normalise_company("Fjord Software A/S") != normalise_company("Fjell Software A/S")
    assert normalise_company("  ") is None


def test_cross_company_rule_refuses_a_mentor_from_the_same_company_spelt_differently() -> None:
    # GIVEN Søren works at "Fjord Software" and the only mentor at "Fjord Software A/S"
    soren = mentee("e1", "Søren Ærø", company="Fjord Software")
    ida = mentor("r1", "Ida Lindqvist", company="Fjord Software A/S")

    # WHEN a cross-company programme is matched
    result = match_cohort([soren], [ida], MatchingPolicy(cross_company=True))

    # THEN no pair is proposed, and the reason is the cross-company rule
    assert result.pairs == ()
    assert {u.participant_id: u.reason.params.get("rule") for u in result.unmatched}["e1"] == "cross_company"


def test_a_mentee_is_never_proposed_to_their_managers_manager() -> None:
    # GIVEN Jovana names only her manager Marko, Marko names his manager Eglė, and Eglė mentors
    jovana = mentee("e1", "Jovana Petrović", manager_chain=("marko@corp.example",))
    marko = mentee("e2", "Marko Ilić", email="marko@corp.example", manager_chain=("egle@corp.example",))
    egle = mentor("r1", "Eglė Šimkus", email="egle@corp.example", capacity=2)

    # WHEN the cohort is matched
    result = match_cohort([jovana, marko], [egle], MatchingPolicy())

    # THEN neither Jovana nor Marko is proposed to Eglė: she is in both reporting lines
    assert result.pairs == ()


def test_a_mentor_whose_chain_reaches_the_mentee_through_a_third_person_is_refused() -> None:
    # GIVEN Nuša (mentor) reports to Špela, who reports to Matej, a mentee
    nusa = mentor("r1", "Nuša Kovačič", manager_chain=("spela@corp.example",))
    spela = mentor("r2", "Špela Žagar", email="spela@corp.example", manager_chain=("matej@corp.example",), capacity=0)
    matej = mentee("e1", "Matej Novak", email="matej@corp.example")

    # WHEN matched
    result = match_cohort([matej], [nusa, spela], MatchingPolicy())

    # THEN Matej, who is above Nuša, is not her mentee
    assert result.pairs == ()


def test_a_second_sign_up_cannot_bypass_the_no_repeat_rule() -> None:
    # GIVEN Eglė was paired with Björn last round, and signs up again under a new id with the same e-mail
    first = mentee("e1", "Eglė Čiurlionytė", email="egle@corp.example", languages=("en",))
    again = mentee("e0", "Eglė Čiurlionytė", email="egle@corp.example", languages=("en",))
    bjorn = mentor("r1", "Björn Lindqvist")

    # WHEN matched with last round's pair recorded under her old id
    result = match_cohort([first, again], [bjorn], MatchingPolicy(), past_pairs={("e1", "r1")})

    # THEN the kept profile (e0) is not paired with Björn again
    assert result.pairs == ()


def test_a_past_pair_of_a_dropped_mentor_profile_counts_for_the_kept_one() -> None:
    # GIVEN Käthe mentored Ida under profile r2 and signed up again as r1 with the same e-mail
    ida = mentee("e1", "Ida Groß")
    kathe = mentor("r1", "Käthe Müller", email="kathe@corp.example")
    kathe_old = mentor("r2", "Käthe Müller", email="kathe@corp.example")

    # WHEN matched
    result = match_cohort([ida], [kathe, kathe_old], MatchingPolicy(), past_pairs={("e1", "r2")})

    # THEN they are not paired again
    assert result.pairs == ()


def test_shared_goals_differing_only_by_case_are_counted_and_listed_once() -> None:
    # GIVEN a mentee listing "Leadership" and "leadership", and a mentor offering leadership
    gintare = mentee("e1", "Gintarė Kazlauskienė", tags=("Leadership", "leadership", "negotiation"))
    mikkel = mentor("r1", "Mikkel Ørsted", tags=("LEADERSHIP",))

    # WHEN matched
    pair = match_cohort([gintare], [mikkel], MatchingPolicy()).pairs[0]

    # THEN the goal is listed once, out of two distinct goals
    shared = next(r for r in pair.reasons if r.code == "shared_goals")
    assert shared.params == {"goals": ("Leadership",), "mentee_goal_count": 2}
    assert "shared goals Leadership;" in pair.explanation


def test_a_mentee_is_matched_with_the_mentor_covering_their_top_ranked_topic_and_told_so() -> None:
    # GIVEN Ona ranks leadership above writing; one mentor covers writing, the other leadership
    ona = mentee("e1", "Ona Čiurlionytė", ranked_topics=("Leadership", "writing"))
    writer = mentor("r1", "Jelena Đorđević", tags=("Writing",))
    leader = mentor("r2", "Søren Ærø", tags=("leadership",))

    # WHEN matched
    result = match_cohort([ona], [writer, leader], MatchingPolicy())

    # THEN the leadership mentor is proposed, and the explanation names the ranked topic and its rank
    (pair,) = result.pairs
    assert pair.mentor_id == "r2"
    topics = next(r for r in pair.reasons if r.code == "ranked_topics")
    assert dict(topics.params) == {"topics": ("Leadership",), "best_rank": 1}
    assert "covers the mentee's ranked topics Leadership (best ranked no. 1)" in pair.explanation


def test_a_ranked_topic_outweighs_a_goal_merely_listed() -> None:
    # GIVEN Ona lists negotiation as a goal and ranks writing; each mentor covers one of them
    ona = mentee("e1", "Ona Čiurlionytė", tags=("negotiation",), ranked_topics=("writing",))
    negotiator = mentor("r1", "Jelena Đorđević", tags=("negotiation",))
    writer = mentor("r2", "Søren Ærø", tags=("writing",))

    # WHEN matched
    result = match_cohort([ona], [negotiator, writer], MatchingPolicy())

    # THEN the mentor of the ranked topic wins
    assert [p.mentor_id for p in result.pairs] == ["r2"]


def test_people_who_name_each_other_as_managers_are_all_in_each_others_lines_and_under_the_same_boss() -> None:
    # GIVEN Rūta names Nikola, Nikola names Åse and Åse names Rūta (a loop in the data), Åse also names Björn,
    # and Nikola, Åse and Björn mentor beside Ida, who is outside that line
    ruta = mentee("e1", "Rūta Šimkus", email="ruta@corp.example", manager_chain=("nikola@corp.example",))
    nikola = mentor("r1", "Nikola Ilić", email="nikola@corp.example", manager_chain=("ase@corp.example",))
    ase = mentor(
        "r2", "Åse Ørsted", email="ase@corp.example", manager_chain=("ruta@corp.example", "bjorn@corp.example")
    )
    bjorn = mentor("r3", "Björn Lindqvist", email="bjorn@corp.example")
    ida = mentor("r4", "Ida Groß", email="ida@corp.example")

    # WHEN Rūta is matched
    result = match_cohort([ruta], [nikola, ase, bjorn, ida], MatchingPolicy())

    # THEN she is proposed only to Ida: Nikola, Åse and Björn are all in her line
    assert [(p.mentee_id, p.mentor_id) for p in result.pairs] == [("e1", "r4")]
