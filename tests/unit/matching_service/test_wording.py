"""Specification: the reasons added with ranked topics and seniority in years read in every programme language."""

from __future__ import annotations

import pytest

from chalicelib.services.matching import wording

RANKED = {"code": "ranked_topics", "params": {"topics": ["vodenje", "pisanje"], "best_rank": 2}}
NONE_RANKED = {"code": "ranked_topics", "params": {"topics": [], "best_rank": None}}


@pytest.mark.parametrize("language", wording.LANGUAGES)
def test_covered_ranked_topics_are_named_with_their_best_rank_in_every_language(language: str) -> None:
    # GIVEN a pair whose mentor covers two of the mentee's ranked topics, the best ranked second
    # WHEN its sentence is written in the language
    sentence = wording.pair_sentence([RANKED], "Ana", "Mojca", language)

    # THEN both topics and the rank are in it, and no placeholder is left
    assert "vodenje" in sentence
    assert "pisanje" in sentence
    assert "2" in sentence
    assert "{" not in sentence


@pytest.mark.parametrize("language", wording.LANGUAGES)
def test_a_mentor_covering_no_ranked_topic_is_said_so_in_every_language(language: str) -> None:
    # GIVEN / WHEN a pair that covers none of the mentee's ranked topics is explained
    sentence = wording.pair_sentence([NONE_RANKED], "Ana", "Mojca", language)
    english = wording.pair_sentence([NONE_RANKED], "Ana", "Mojca", "en")

    # THEN the sentence says so, in the language
    assert sentence.startswith("Ana")
    assert "{" not in sentence
    assert (sentence == english) is (language == "en")


SENIOR = {"code": "seniority_gap", "params": {"gap": 12, "preferred_min": 3, "preferred_max": 10}}


@pytest.mark.parametrize(
    ("language", "part"),
    [
        ("en", "the mentor has 12 years more experience than the mentee (preferred 3–10)"),
        ("sl", "mentor ima 12 let več izkušenj kot mentoriranec (zaželeno 3–10)"),
        ("da", "mentoren har 12 år mere erfaring end menteen (ønsket 3–10)"),
        ("sr", "mentor ima 12 godina više iskustva od mentorisane osobe (poželjno 3–10)"),
        ("lt", "mentorius turi 12 metų daugiau patirties nei ugdytinis (pageidautina 3–10)"),
    ],
)
def test_seniority_reads_as_years_of_experience_with_the_preferred_gap_in_every_language(
    language: str, part: str
) -> None:
    # GIVEN a mentor with 12 years more experience than the mentee, 3-10 preferred
    # WHEN the pair is explained in the language
    sentence = wording.pair_sentence([SENIOR], "Ana", "Mojca", language)

    # THEN the gap is in years, plural as the language says it, with the preferred gap
    assert part in sentence


def test_a_mentor_with_less_experience_is_said_so_in_years() -> None:
    # GIVEN / WHEN a pair whose mentor has one year less experience is explained
    less = {"code": "seniority_gap", "params": {"gap": -1, "preferred_min": 3, "preferred_max": 3}}

    # THEN it says so, in the singular, with the one preferred value
    assert "the mentor has 1 year less experience than the mentee (preferred 3)" in wording.pair_sentence(
        [less], "Ana", "Mojca", "en"
    )
