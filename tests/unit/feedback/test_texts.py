"""Every message template and every survey page text exists in all five languages and is translated."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.programme import SUPPORTED_LANGUAGES
from chalicelib.feedback.texts import PAGE_TEXTS
from chalicelib.notify.templates import placeholders_of, render, template_names

WHEN = datetime(2026, 3, 29, 9, 30, tzinfo=UTC)  # the morning Europe moves its clocks


def _context(template: str, language: str) -> dict[str, object]:
    """Every variable the template uses, filled: flags true, dates and times real, texts with a marker."""
    values: dict[str, object] = {}
    for name in placeholders_of(template, language):
        if name.endswith(("_date", "_on")):
            values[name] = date(2026, 3, 29)
        elif name.endswith(("_at", "_by")):
            values[name] = WHEN
        else:
            values[name] = f"«{name}»"
    return values


def _has_words(text: str) -> bool:
    """Whether ``text`` has a letter outside its filled-in variables («name»)."""
    return any(ch.isalpha() for ch in re.sub(r"«[^»]*»", "", text))


@pytest.mark.parametrize("template", sorted(template_names()))
def test_every_template_renders_in_every_language_with_every_variable_and_differs_from_english(template: str) -> None:
    # GIVEN the English text with every variable filled
    english = render(template, "en", _context(template, "en"), fallback=[], timezone="Europe/Belgrade")
    for language in SUPPORTED_LANGUAGES:
        # WHEN it is rendered in each language with the same variables
        rendered = render(template, language, _context(template, language), fallback=[], timezone="Europe/Vilnius")
        # THEN it is that language's own text, with nothing left unfilled
        assert rendered.language == language
        assert "$" not in rendered.subject + rendered.body_text
        if language != "en":
            assert rendered.body_text != english.body_text, (template, language)
            # A subject made of names alone (a digest's item heading) has no words to translate.
            if _has_words(english.subject):
                assert rendered.subject != english.subject, (template, language)


def test_the_survey_page_says_everything_in_every_language_and_translates_it() -> None:
    # GIVEN the English page texts
    english = PAGE_TEXTS["en"]
    # THEN every language has every key, and none repeats an English text
    assert set(PAGE_TEXTS) == set(SUPPORTED_LANGUAGES)
    for language, texts in PAGE_TEXTS.items():
        assert set(texts) == set(english), language
        untranslated = {key for key, text in texts.items() if text == english[key]}
        assert language == "en" or not untranslated, (language, untranslated)
