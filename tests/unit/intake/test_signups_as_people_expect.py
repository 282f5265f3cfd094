"""Specification of signups as respondents and coordinators expect them: optional oddities never block, goals kept."""

from __future__ import annotations

from chalicelib.domain.forms.mapping import FieldMapping, map_submission, unmapped_questions
from chalicelib.domain.forms.submission import AnswerType
from chalicelib.domain.participant import Profile
from tests.support.forms import SIMPLE_MAPPING, answer, signup, submission

LANGUAGES_SPOKEN = {"label": "Languages you speak", "choices": {"Slovenščina": "sl", "English": "en", "Srpski": "sr"}}


def test_an_unlisted_language_or_other_option_is_left_out_and_noted_not_blocking_the_signup() -> None:
    # GIVEN a mapping with a language and spoken languages, and a respondent who picked "Hrvatski",
    # "Crnogorski" and "Italiano" beside Slovenian
    mapping = FieldMapping.model_validate(SIMPLE_MAPPING | {"languages": LANGUAGES_SPOKEN})
    form = signup(language="Hrvatski")
    form.answers.append(
        answer("Languages you speak", ["Slovenščina", "Crnogorski", "Italiano"], AnswerType.CHOICES)
    )

    # WHEN it is mapped
    profile, notes = map_submission(form, mapping)

    # THEN the person is a profile with what was listed, and the left-out answers are noted
    assert isinstance(profile, Profile)
    assert profile.language is None
    assert profile.languages == ["sl"]
    assert [(n.field, n.code) for n in notes] == [("language", "unknown_choice"), ("languages", "unknown_choice")]


def test_a_required_question_still_blocks_on_an_unlisted_answer() -> None:
    # GIVEN the language question marked required
    mapping = FieldMapping.model_validate(
        SIMPLE_MAPPING | {"language": SIMPLE_MAPPING["language"] | {"required": True}}
    )

    # WHEN a respondent picks an unlisted language
    profile, _ = map_submission(signup(language="Hrvatski"), mapping)

    # THEN the signup is kept for attention as before
    assert not isinstance(profile, Profile)


def test_a_free_text_goal_is_kept_on_the_profile() -> None:
    # GIVEN a mapping of "What is your main goal?" to goals
    mapping = FieldMapping.model_validate(SIMPLE_MAPPING | {"goals": {"label": "What is your main goal?"}})

    # WHEN a respondent answers it
    profile, _ = map_submission(
        signup(**{"What is your main goal?": "Voditi ekipo brez strahu pred konflikti"}), mapping
    )

    # THEN the goal is on the profile in her words
    assert isinstance(profile, Profile)
    assert profile.goals == "Voditi ekipo brez strahu pred konflikti"


def test_the_preview_names_the_questions_no_rule_reads() -> None:
    # GIVEN a submission with a goal question and a phone number the mapping does not read
    form = submission(
        *signup().answers,
        answer("What is your main goal?", "Learn to delegate"),
        answer("Phone", "+386 40 000 000", AnswerType.PHONE),
    )

    # WHEN the unmapped questions are listed
    # THEN both are named, and the mapped ones are not
    assert unmapped_questions(form, FieldMapping.model_validate(SIMPLE_MAPPING)) == [
        "What is your main goal?",
        "Phone",
    ]


def test_a_pasted_zero_width_space_does_not_make_another_address() -> None:
    # GIVEN the same person's address once typed and once pasted with a zero-width space and a BOM
    mapping = FieldMapping.model_validate(SIMPLE_MAPPING)
    typed, _ = map_submission(signup(email="ana.novak@example.si"), mapping)
    pasted, _ = map_submission(signup(email="\ufeffana.novak\u200b@example.si\u200b"), mapping)

    # WHEN both are mapped THEN they are one address
    assert isinstance(typed, Profile)
    assert isinstance(pasted, Profile)
    assert pasted.email == typed.email == "ana.novak@example.si"
