"""Specification of message templates: languages, fallback, locale-formatted dates and safe substitution."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.errors import ValidationFailed
from chalicelib.notify.templates import (
    choose_language,
    format_local_datetime,
    languages_of,
    placeholders_of,
    render,
    template_names,
)

FIVE_LANGUAGES = {"en", "sr", "lt", "sl", "da"}
SEPTEMBER_FIRST = date(2026, 9, 1)


def welcome_context(**changes: object) -> dict[str, object]:
    context: dict[str, object] = {
        "name": "Ana Anić",
        "programme_name": "Mentorstvo 2026",
        "matching_date": SEPTEMBER_FIRST,
    }
    context.update(changes)
    return context


def test_every_participant_template_is_written_in_all_five_languages() -> None:
    # GIVEN the packaged template texts
    # WHEN they are listed
    names = template_names()

    # THEN welcome and waitlisted exist, each in English, Serbian, Lithuanian, Slovenian and Danish
    assert {"welcome", "waitlisted"} <= names
    for name in names:
        assert languages_of(name) == FIVE_LANGUAGES, name


def test_every_language_of_a_template_uses_the_same_variables() -> None:
    # GIVEN every template
    for name in template_names():
        # WHEN the variables of each language are collected
        variables = {language: placeholders_of(name, language) for language in languages_of(name)}

        # THEN all languages ask for the same context, so callers need not know the language
        assert len(set(variables.values())) == 1, (name, variables)


@pytest.mark.parametrize(
    ("language", "subject", "date_text"),
    [
        ("en", "We have received your application to Mentorstvo 2026", "1 September 2026"),
        ("sr", "Primili smo vašu prijavu za program „Mentorstvo 2026“", "1. septembar 2026."),
        ("lt", "Gavome jūsų paraišką dalyvauti programoje „Mentorstvo 2026“", "2026 m. rugsėjo 1 d."),
        ("sl", "Prejeli smo vašo prijavo v program »Mentorstvo 2026«", "1. september 2026"),
        ("da", "Vi har modtaget din ansøgning til Mentorstvo 2026", "1. september 2026"),
    ],
)
def test_welcome_is_rendered_in_the_persons_language_with_a_locale_formatted_matching_date(
    language: str, subject: str, date_text: str
) -> None:
    # GIVEN a welcome context with a matching date
    context = welcome_context()

    # WHEN it is rendered in one of the five languages
    rendered = render("welcome", language, context, fallback=[])

    # THEN subject, greeting and the date are in that language
    assert rendered.language == language
    assert rendered.subject == subject
    assert "Ana Anić" in rendered.body_text
    assert date_text in rendered.body_text
    assert "$" not in rendered.body_text
    assert rendered.body_text.endswith("\n")
    assert "\n\n\n" not in rendered.body_text


def test_serbian_dates_are_written_in_latin_script_like_the_serbian_text() -> None:
    # GIVEN a Serbian welcome
    # WHEN it is rendered
    rendered = render("welcome", "sr", welcome_context(), fallback=[])

    # THEN the month is Latin "septembar", not Cyrillic "септембар"
    assert "Datum formiranja parova: 1. septembar 2026." in rendered.body_text
    assert "септембар" not in rendered.body_text


def test_welcome_without_a_matching_date_promises_to_announce_it() -> None:
    # GIVEN a programme whose matching date is not known yet
    context = welcome_context(matching_date=None)

    # WHEN the welcome is rendered in Slovenian and English
    slovenian = render("welcome", "sl", context, fallback=[])
    english = render("welcome", "en", context, fallback=[])

    # THEN it says the date will follow, and no date line is left behind
    assert "O datumu vas bomo pravočasno obvestili." in slovenian.body_text
    assert "Datum oblikovanja parov" not in slovenian.body_text
    assert "We will let you know the date in good time." in english.body_text


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "will be given priority in the next round"),
        ("sr", "u sledećem krugu imaće prednost"),
        ("lt", "kitame etape jai bus teikiama pirmenybė"),
        ("sl", "bo v naslednjem krogu imela prednost"),
        ("da", "du får forrang i næste runde"),
    ],
)
def test_waitlisted_tells_there_is_no_place_now_but_priority_next_round(language: str, phrase: str) -> None:
    # GIVEN a waitlisted person
    context = {"name": "Søren Ærø", "programme_name": "Mentorstvo 2026"}

    # WHEN the waitlist message is rendered
    rendered = render("waitlisted", language, context, fallback=[])

    # THEN it promises priority in the next round, in that language
    assert rendered.language == language
    assert phrase in rendered.body_text
    assert "Søren Ærø" in rendered.body_text


@pytest.mark.parametrize(
    ("language", "fallback", "expected"),
    [
        ("de", ["sl"], "sl"),
        (None, ["lt"], "lt"),
        ("de", ["fr"], "en"),
        (None, [], "en"),
        ("sr-Latn", ["en"], "sr"),
        ("da-DK", ["en"], "da"),
        ("LT_lt", ["en"], "lt"),
        ("fr-CA", ["da-DK"], "da"),
    ],
)
def test_language_falls_back_from_person_to_programme_default_to_english(
    language: str | None, fallback: list[str], expected: str
) -> None:
    # GIVEN a person's language and the programme's default
    # WHEN the welcome is rendered
    rendered = render("welcome", language, welcome_context(), fallback=fallback)

    # THEN the first language the template is written in is used, regional codes by their base language
    assert rendered.language == expected


def test_an_unknown_template_is_refused() -> None:
    # GIVEN a template name that has no texts
    # WHEN a language is chosen for it
    # THEN it is refused clearly
    with pytest.raises(ValidationFailed, match="match_exploded"):
        choose_language("match_exploded", ["en"])


def test_a_missing_variable_is_refused_naming_it() -> None:
    # GIVEN a welcome context without the programme name
    context = {"name": "Ana Anić", "matching_date": SEPTEMBER_FIRST}

    # WHEN it is rendered
    with pytest.raises(ValidationFailed) as raised:
        render("welcome", "en", context, fallback=[])

    # THEN the error names the variable
    assert "programme_name" in raised.value.message
    assert raised.value.details["missing"] == ["programme_name"]


def test_a_variable_given_as_none_counts_as_missing() -> None:
    # GIVEN a name that is None
    context = welcome_context(name=None)

    # WHEN it is rendered
    # THEN it is refused like a missing one
    with pytest.raises(ValidationFailed, match="'name'"):
        render("welcome", "da", context, fallback=[])


def test_values_are_inserted_literally_never_expanded_or_evaluated() -> None:
    # GIVEN values that look like placeholders and format-string tricks
    context = welcome_context(name="$programme_name {0.__class__} ${matching_date}", programme_name="{name!r}")

    # WHEN they are rendered
    rendered = render("welcome", "en", context, fallback=[])

    # THEN they appear exactly as given
    assert "Dear $programme_name {0.__class__} ${matching_date}," in rendered.body_text
    assert "Thank you for applying to {name!r}." in rendered.body_text


def test_a_line_break_in_a_value_never_reaches_the_subject() -> None:
    # GIVEN a programme name carrying a line break and a header
    context = welcome_context(programme_name="Spring\r\nBcc: someone@example.org")

    # WHEN it is rendered
    rendered = render("welcome", "en", context, fallback=[])

    # THEN the subject is one line
    assert rendered.subject == "We have received your application to Spring Bcc: someone@example.org"


def test_date_times_are_written_in_the_recipients_time_zone_and_locale() -> None:
    # GIVEN one instant
    instant = datetime(2026, 9, 1, 15, 30, tzinfo=UTC)

    # WHEN it is formatted for people in different places
    # THEN each reads their own wall-clock time in their own language
    assert format_local_datetime(instant, "lt", "Europe/Vilnius") == "2026 m. rugsėjo 1 d. 18:30"
    assert format_local_datetime(instant, "en", "America/New_York") == "1 September 2026, 11:30"
    assert format_local_datetime(instant, "da", "Europe/Copenhagen") == "1. september 2026 17.30"
    assert format_local_datetime(instant, "sl", "Europe/Ljubljana") == "1. september 2026 17:30"


def test_a_date_time_in_the_context_is_rendered_in_the_given_time_zone() -> None:
    # GIVEN a matching moment late in the evening UTC
    context = welcome_context(matching_date=datetime(2026, 9, 1, 23, 30, tzinfo=UTC))

    # WHEN it is rendered for someone in Belgrade
    rendered = render("welcome", "sr", context, fallback=[], timezone="Europe/Belgrade")

    # THEN it shows the next day, local time
    assert "Datum formiranja parova: 2. septembar 2026. 01:30" in rendered.body_text


def test_a_naive_date_time_is_refused() -> None:
    # GIVEN a date-time without a time zone
    context = welcome_context(matching_date=datetime(2026, 9, 1, 12, 0))

    # WHEN it is rendered
    # THEN it is refused, naming the variable
    with pytest.raises(ValidationFailed, match="matching_date"):
        render("welcome", "en", context, fallback=[])


def test_an_unknown_time_zone_is_refused() -> None:
    # GIVEN a time zone that does not exist
    # WHEN a welcome is rendered with it
    # THEN it is refused
    with pytest.raises(ValidationFailed, match="Mars/Olympus"):
        render("welcome", "en", welcome_context(), fallback=[], timezone="Mars/Olympus")
