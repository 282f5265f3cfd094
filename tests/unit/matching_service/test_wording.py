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
