"""The event pages say everything in all five languages, each translated."""

from __future__ import annotations

import pytest

from chalicelib.domain.programme import SUPPORTED_LANGUAGES
from chalicelib.events import attendance_page, rsvp_page


@pytest.mark.parametrize("texts", [rsvp_page.TEXTS, attendance_page.TEXTS], ids=["rsvp", "attendance"])
def test_an_event_page_has_every_text_in_every_language_and_none_left_in_english(
    texts: dict[str, dict[str, str]],
) -> None:
    # GIVEN the page's English texts
    english = texts["en"]
    # THEN every language has every key, and none repeats an English text
    assert set(texts) == set(SUPPORTED_LANGUAGES)
    for language, translated in texts.items():
        assert set(translated) == set(english), language
        untranslated = {key for key, text in translated.items() if text == english[key]}
        assert language == "en" or not untranslated, (language, untranslated)
