"""Specification of the one-click answer pages' wording: every text in every language the messages speak."""

from __future__ import annotations

import pytest

from chalicelib.notify.templates import languages_of
from chalicelib.services import mentor_links, review_links

PAGE_TEXTS = {"mentor answer": mentor_links._TEXTS, "coordinator review": review_links._TEXTS}


@pytest.mark.parametrize("page", sorted(PAGE_TEXTS))
def test_every_answer_page_speaks_every_language_the_match_request_is_written_in(page: str) -> None:
    # GIVEN the languages the match request exists in
    languages = set(languages_of("match_request_mentor"))

    # WHEN the page's texts are looked up
    texts = PAGE_TEXTS[page]

    # THEN each language has the same, complete set of texts
    assert set(texts) == languages
    assert all(set(texts[language]) == set(texts["en"]) for language in languages)
    assert all(text.strip() for words in texts.values() for text in words.values())
