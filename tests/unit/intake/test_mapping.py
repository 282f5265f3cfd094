"""Specification of field mappings: selecting answers, coercing them, and reporting every problem in words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.forms.mapping import FieldMapping, MappingProblems, apply_mapping, bind_mapping
from chalicelib.domain.forms.submission import AnswerType
from chalicelib.domain.participant import Consent, Profile, Role
from tests.support.forms import NOW, SIMPLE_MAPPING, answer, signup, simple_mapping, submission


def _profile(result: Profile | MappingProblems) -> Profile:
    assert isinstance(result, Profile), result
    return result


def _problems(result: Profile | MappingProblems) -> dict[str, tuple[str, str]]:
    assert isinstance(result, MappingProblems), result
    return {p.field: (p.code, p.reason) for p in result.problems}


# --- Filling a profile -----------------------------------------------------------------------------


def test_a_typical_mentor_signup_fills_every_mapped_field() -> None:
    # GIVEN a mentor's answers and a mapping for each profile field
    form = submission(
        answer("Full name", "Søren Ærø"),
        answer("E-mail", "  Soren.Aero@Example.DK ", AnswerType.EMAIL),
        answer("I am signing up as", "Mentor", AnswerType.CHOICE),
        answer("Preferred language", "Dansk", AnswerType.CHOICE),
        answer("Languages you can mentor in", ["Dansk", "English"], AnswerType.CHOICES),
        answer("Time zone", "Europe/Copenhagen", AnswerType.CHOICE),
        answer("Company", "Ærø Design ApS"),
        answer("Department", "Product"),
        answer("Manager", "boss@example.dk", AnswerType.EMAIL),
        answer("Years of experience", 15, AnswerType.NUMBER),
        answer("Topics", ["Leadership", "Design systems"], AnswerType.CHOICES),
        answer("Mentees at once", "2"),
        answer("Rank", ["Craft", "Career"], AnswerType.RANKING),
        answer("Privacy", True, AnswerType.BOOLEAN),
    )
    mapping = FieldMapping.model_validate(
        {
            "role": {"label": "I am signing up as", "choices": {"Mentor": "mentor", "Mentee": "mentee"}},
            "email": {"label": "e-mail"},
            "name": {"label": "FULL   name"},
            "language": {"label": "Preferred language", "choices": {"Dansk": "da", "English": "en"}},
            "languages": {"label": "Languages you can mentor in", "choices": {"dansk": "da", "english": "en"}},
            "timezone": {"label": "Time zone"},
            "company": {"label": "Company"},
            "department": {"label": "Department"},
            "manager_email": {"label": "Manager"},
            "seniority": {"label": "Years of experience"},
            "tags": {"label": "Topics", "choices": {"Leadership": "leadership", "Design systems": "design"}},
            "capacity": {"label": "Mentees at once"},
            "ranked_preferences": {"label": "Rank", "pass_through": True},
            "consent": {"label": "Privacy", "required": True},
            "consent_text_version": "2026-01",
        }
    )

    # WHEN it is applied
    profile = _profile(apply_mapping(form, mapping))

    # THEN every field is filled, coerced, and consent carries the submission time
    assert profile == Profile(
        role=Role.MENTOR,
        email="soren.aero@example.dk",
        name="Søren Ærø",
        language="da",
        languages=["da", "en"],
        timezone="Europe/Copenhagen",
        company="Ærø Design ApS",
        department="Product",
        manager_email="boss@example.dk",
        seniority=15,
        tags=["leadership", "design"],
        capacity=2,
        ranked_preferences=["Craft", "Career"],
        consent=Consent(given=True, at=NOW, text_version="2026-01"),
    )


def test_questions_are_selected_by_id_ref_hidden_field_parts_or_a_constant() -> None:
    # GIVEN answers known by id and ref, a hidden role and a name in two questions
    form = submission(
        answer("First name", "Eglė", id="q_first"),
        answer("Last name", "Čiurlionytė", ref="last_name"),
        answer("Email", "egle@example.lt", id="q_email"),
        answer("Consent", ["I agree"], AnswerType.CHOICES, ref="consent"),
        hidden={"Signup_Role": "mentee", "team": "Vilnius office"},
    )
    mapping = FieldMapping.model_validate(
        {
            "role": {"hidden": "signup_role"},
            "email": {"id": "q_email"},
            "name": {"parts": [{"id": "q_first"}, {"ref": "last_name"}]},
            "department": {"hidden": "TEAM"},
            "language": {"constant": "lt"},
            "consent": {"ref": "consent"},
        }
    )

    # WHEN applied
    profile = _profile(apply_mapping(form, mapping))

    # THEN
    assert (profile.role, profile.name, profile.email) == (Role.MENTEE, "Eglė Čiurlionytė", "egle@example.lt")
    assert (profile.department, profile.language) == ("Vilnius office", "lt")
    assert profile.consent == Consent(given=True, at=NOW)


def test_a_question_is_selected_by_any_of_its_titles_in_several_languages() -> None:
    # GIVEN a rule listing the name question's English, Slovenian and Danish titles, and a Danish form
    mapping = simple_mapping(name={"labels": ["Full name", "Ime in priimek", "Fulde navn"], "required": True})
    form = submission(*[a for a in signup().answers if a.label != "Full name"], answer("FULDE  navn", "Mette Hansen"))

    # WHEN applied
    profile = _profile(apply_mapping(form, mapping))

    # THEN the Danish title selects the name
    assert profile.name == "Mette Hansen"


def test_a_rule_without_any_of_its_titles_answered_names_them_all_in_the_problem() -> None:
    # GIVEN a required rule with two titles, neither in the form
    mapping = simple_mapping(name={"labels": ["Full name", "Ime in priimek"], "required": True})
    form = submission(*[a for a in signup().answers if a.label != "Full name"])

    # WHEN applied
    result = apply_mapping(form, mapping)

    # THEN the problem names each title
    assert isinstance(result, MappingProblems)
    [problem] = result.problems
    assert problem.field == "name"
    assert '"Full name" or "Ime in priimek"' in problem.reason


def test_a_rule_cannot_select_by_a_label_and_by_labels_at_once() -> None:
    with pytest.raises(ValidationError, match="exactly one of"):
        simple_mapping(name={"label": "Full name", "labels": ["Ime in priimek"]})


def test_a_bound_mapping_still_maps_after_the_form_renames_its_questions() -> None:
    # GIVEN a mapping selecting by titles, bound to a first submission of the form
    mapping = simple_mapping(name={"labels": ["Full name", "Ime in priimek"], "required": True})
    first = submission(*signup().answers)
    bound = bind_mapping(mapping, first)

    # WHEN the coordinator renames the name question, and the next person signs up
    renamed = submission(
        *[
            a.model_copy(update={"label": "Vaše ime"}) if a.label == "Full name" else a
            for a in signup(name="Špela Žagar").answers
        ]
    )

    # THEN the bound mapping reads the name by the question's key; the unbound one cannot find it
    assert bound.name.key == "full_name"
    assert _profile(apply_mapping(renamed, bound)).name == "Špela Žagar"
    assert isinstance(apply_mapping(renamed, mapping), MappingProblems)


def test_a_bound_key_the_form_no_longer_has_falls_back_to_the_titles() -> None:
    # GIVEN a mapping bound to a question that has since been replaced by a new one with a known title
    mapping = simple_mapping(name={"labels": ["Full name"], "key": "q_deleted", "required": True})

    # WHEN applied
    profile = _profile(apply_mapping(submission(*signup(name="Mette Sørensen").answers), mapping))

    # THEN the title still selects the name
    assert profile.name == "Mette Sørensen"


def test_binding_leaves_rules_that_select_otherwise_or_find_nothing_as_they_were() -> None:
    # GIVEN a mapping with a constant, a rule selecting by id and a title no question has
    mapping = simple_mapping(company={"id": "q_company"}, department={"label": "Nowhere"})

    # WHEN bound to a submission
    bound = bind_mapping(mapping, submission(*signup().answers))

    # THEN only rules whose titles found a question carry a key
    assert bound.company == mapping.company
    assert bound.department == mapping.department
    assert bound.role.key is not None


def test_a_key_without_titles_is_refused() -> None:
    with pytest.raises(ValidationError, match="key goes with label or labels"):
        simple_mapping(name={"id": "q_name", "key": "q_name"})


def test_the_e_mail_the_tool_collected_is_used_when_no_e_mail_is_mapped_or_answered() -> None:
    # GIVEN a Google Forms response with the respondent's collected address and no e-mail question answered
    form = signup(email="").model_copy(update={"respondent_email": "Ana.Anic@Example.ORG"})

    # WHEN applied with and without an e-mail rule
    with_rule = _profile(apply_mapping(form, simple_mapping()))
    without_rule = _profile(apply_mapping(form, simple_mapping(email=None)))

    # THEN the collected address is used, normalised
    assert with_rule.email == without_rule.email == "ana.anic@example.org"


def test_names_in_any_script_are_kept_exactly_and_e_mails_are_normalised() -> None:
    # GIVEN names in Cyrillic, Lithuanian and Danish and e-mails with odd case and spaces
    people = [
        ("Ђорђе Ђорђевић", " DJORDJE@Example.RS"),
        ("Eglė Čiurlionytė", "Egle@EXAMPLE.lt  "),
        ("Søren Ærø", "\tsoren@example.dk"),
    ]

    # WHEN each is mapped
    profiles = [_profile(apply_mapping(signup(name=n, email=e), simple_mapping())) for n, e in people]

    # THEN
    assert [p.name for p in profiles] == ["Ђорђе Ђорђевић", "Eglė Čiurlionytė", "Søren Ærø"]
    assert [p.email for p in profiles] == ["djordje@example.rs", "egle@example.lt", "soren@example.dk"]


def test_a_name_typed_in_decomposed_unicode_is_stored_composed() -> None:
    decomposed = "Đorđević".replace("ć", "c\u0301")
    assert _profile(apply_mapping(signup(name=decomposed), simple_mapping())).name == "Đorđević"


def test_a_text_answer_is_split_into_several_values_by_a_separator() -> None:
    # GIVEN languages typed as one text
    form = signup(**{"Spoken": "sr; EN ;da"})
    mapping = simple_mapping(languages={"label": "Spoken", "separator": ";"})

    # WHEN applied THEN each language is a code
    assert _profile(apply_mapping(form, mapping)).languages == ["sr", "en", "da"]


def test_a_ranking_of_topics_becomes_ranked_topics_in_order_through_the_choices_table() -> None:
    form = signup(**{"Rank": ["Vođstvo", "Karijera"]})
    mapping = simple_mapping(
        ranked_topics={"label": "Rank", "choices": {"vođstvo": "leadership", "karijera": "career"}}
    )
    assert _profile(apply_mapping(form, mapping)).ranked_topics == ["leadership", "career"]


def test_numbers_come_from_numbers_numeric_text_or_a_choices_table() -> None:
    form = signup(role="Mentor", **{"Years": "7", "Capacity": "Two or three"})
    mapping = simple_mapping(
        seniority={"label": "Years"}, capacity={"label": "Capacity", "choices": {"One": "1", "Two or three": "3"}}
    )
    profile = _profile(apply_mapping(form, mapping))
    assert (profile.seniority, profile.capacity) == (7, 3)


def test_a_mentees_answer_to_the_mentor_capacity_question_is_ignored() -> None:
    # GIVEN a mixed form where a mentee answered the capacity question
    form = signup(role="Mentee", **{"Capacity": 2})

    # WHEN applied THEN the signup goes through without a capacity
    assert _profile(apply_mapping(form, simple_mapping(capacity={"label": "Capacity"}))).capacity is None


def test_an_unanswered_optional_question_leaves_the_field_empty() -> None:
    form = signup(**{"Company": "  "})
    profile = _profile(apply_mapping(form, simple_mapping(company={"label": "Company"}, tags={"label": "Nope"})))
    assert (profile.company, profile.tags) == (None, [])


# --- Consent ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "said",
    [
        True,
        1,
        "yes",
        "Yes",
        "I agree",
        "Da",
        "да",
        "Slažem se",
        "Taip",
        "Sutinku",
        "Strinjam se",
        "Ja",
        "Jeg accepterer",
    ],
)
def test_yes_in_every_programme_language_is_consent(said: Any) -> None:
    profile = _profile(apply_mapping(signup(consent=said), simple_mapping()))
    assert profile.consent == Consent(given=True, at=NOW)


@pytest.mark.parametrize("said", [False, 0, "no", "Ne", "не", "Nej"])
def test_no_in_every_programme_language_is_consent_refused(said: Any) -> None:
    assert _profile(apply_mapping(signup(consent=said), simple_mapping())).consent == Consent(given=False, at=NOW)


def test_a_ticked_consent_option_is_consent_whatever_its_wording() -> None:
    form = signup(consent=None, **{"Terms": ["Prihvatam uslove programa i obradu podataka."]})
    mapping = simple_mapping(consent={"label": "Terms"})
    assert _profile(apply_mapping(_as_choice(form, "Terms"), mapping)).consent == Consent(given=True, at=NOW)


def test_a_consent_choices_table_maps_the_forms_own_wording() -> None:
    form = signup(consent="Okay with me")
    mapping = simple_mapping(consent={"label": "Consent", "choices": {"Okay with me": "yes", "Not okay": "no"}})
    assert _profile(apply_mapping(form, mapping)).consent == Consent(given=True, at=NOW)


def test_an_unanswered_optional_consent_question_leaves_consent_empty_for_onboarding_to_refuse() -> None:
    form = signup(consent=None)
    mapping = simple_mapping(consent={"label": "Consent"})
    assert _profile(apply_mapping(form, mapping)).consent is None


def _as_choice(form: Any, label: str) -> Any:
    answers = [a.model_copy(update={"type": AnswerType.CHOICES}) if a.label == label else a for a in form.answers]
    return form.model_copy(update={"answers": answers})


# --- Problems --------------------------------------------------------------------------------------


def test_every_problem_of_a_submission_is_reported_at_once_with_a_reason() -> None:
    # GIVEN a submission that gets almost everything wrong
    form = submission(
        answer("Email", "not-an-address"),
        answer("Role", "Coach", AnswerType.CHOICE),
        answer("Language", ["Srpski", "Dansk"], AnswerType.CHOICES),
        answer("Languages", ["Srpski", "Klingon", "Quenya"], AnswerType.CHOICES),
        answer("Time zone", "Belgrade time"),
        answer("Years", "a few"),
        answer("Capacity", 99, AnswerType.NUMBER),
        answer("Manager", "boss at example", AnswerType.EMAIL),
        answer("Topics", ["Leadership", "Knitting"], AnswerType.CHOICES),
        answer("Consent", "maybe"),
    )
    mapping = FieldMapping.model_validate(
        SIMPLE_MAPPING
        | {
            "languages": {"label": "Languages", "choices": {"Srpski": "sr"}, "required": True},
            "timezone": {"label": "Time zone"},
            "seniority": {"label": "Years"},
            "capacity": {"label": "Capacity"},
            "manager_email": {"label": "Manager"},
            "tags": {"label": "Topics", "choices": {"Leadership": "leadership"}, "required": True},
            "company": {"label": "Company", "required": True},
        }
    )

    # WHEN applied
    problems = _problems(apply_mapping(form, mapping))

    # THEN each field says what is wrong, in words
    assert problems == {
        "role": ("unknown_choice", 'unknown choice "Coach" for role'),
        "email": ("invalid_email", "not a valid e-mail address"),
        "name": ("required_missing", 'required answer missing: no answer to the question with label "Full name"'),
        "language": ("not_single", "expected one answer for language, got 2"),
        "languages": ("unknown_choice", 'unknown choice "Klingon", "Quenya" for languages'),
        "timezone": ("invalid_value", '"Belgrade time" is not a known time zone (such as Europe/Belgrade)'),
        "company": ("required_missing", 'required answer missing: no answer to the question with label "Company"'),
        "manager_email": ("invalid_email", "not a valid e-mail address"),
        "seniority": ("not_a_number", '"a few" is not a number'),
        "tags": ("unknown_choice", 'unknown choice "Knitting" for tags'),
        "capacity": ("out_of_range", "99 is outside 0–50"),
        "consent": ("unknown_choice", 'unknown choice "maybe" for consent (expected yes or no)'),
    }


def test_a_language_that_is_no_code_needs_a_choices_table() -> None:
    # GIVEN a language question answered with a language's name and no table to translate it
    form = signup(language="English")
    problems = _problems(apply_mapping(form, simple_mapping(language={"label": "Language"})))
    assert problems == {"language": ("unknown_choice", 'unknown choice "English" for language')}


def test_pass_through_keeps_choices_that_are_not_in_the_table() -> None:
    form = signup(**{"Topics": ["Leadership", "Beekeeping"]})
    mapping = simple_mapping(tags={"label": "Topics", "choices": {"Leadership": "leadership"}, "pass_through": True})
    assert _profile(apply_mapping(form, mapping)).tags == ["leadership", "Beekeeping"]


def test_a_non_whole_number_is_a_problem() -> None:
    form = signup(**{"Years": 2.5})
    assert _problems(apply_mapping(form, simple_mapping(seniority={"label": "Years"}))) == {
        "seniority": ("not_a_number", "2.5 is not a whole number")
    }


def test_a_megabyte_of_text_in_one_answer_is_a_problem_not_a_crash() -> None:
    # GIVEN one megabyte pasted into the name and into a topic
    huge = "Ž" * 1_048_576
    form = signup(name=huge, **{"Topics": [huge]})

    # WHEN applied
    problems = _problems(apply_mapping(form, simple_mapping(tags={"label": "Topics"})))

    # THEN both fields report their limits, and no reason quotes the megabyte
    assert problems["name"] == ("too_long", "the answer is 1048576 characters long; name takes at most 200")
    assert problems["tags"] == ("too_long", "the answer is 1048576 characters long; tags takes at most 100")
    assert all(len(reason) < 200 for _, reason in problems.values())


def test_an_unknown_choice_is_quoted_clipped() -> None:
    form = signup(role="x" * 10_000)
    code, reason = _problems(apply_mapping(form, simple_mapping()))["role"]
    assert code == "unknown_choice"
    assert len(reason) < 150


@pytest.mark.parametrize(
    "value",
    [None, 3, 4.0, True, ["a", "b"], {"first": "x"}, [], "", "   "],
)
def test_any_answer_value_in_any_field_gives_a_profile_or_problems_never_an_exception(value: Any) -> None:
    # GIVEN the same odd value as the answer to every mapped question
    labels = ["Role", "Email", "Full name", "Language", "Consent", "X"]
    form = submission(*(answer(label, value) for label in labels), hidden={"h": "v"})
    rules = {
        field: {"label": "X"}
        for field in (
            "languages",
            "timezone",
            "company",
            "department",
            "manager_email",
            "seniority",
            "tags",
            "capacity",
            "ranked_preferences",
            "ranked_topics",
            "ranked_mentors",
        )
    }
    mapping = FieldMapping.model_validate(SIMPLE_MAPPING | rules)

    # WHEN applied THEN it returns, whatever the value
    assert isinstance(apply_mapping(form, mapping), Profile | MappingProblems)


# --- Configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"role": {"label": "Role", "ref": "role"}}, "role", "exactly one of"),
        ({"role": {}}, "role", "exactly one of"),
        ({"role": {"constant": "admin"}}, "role", "constant"),
        ({"role": {"label": "Role", "choices": {"Boss": "manager"}}}, "role", "not mentor or mentee"),
        ({"language": {"label": "L", "choices": {"Srpski": "Serbian language"}}}, "language", "not a language code"),
        ({"languages": {"label": "L", "choices": {"Srpski": "sr", " SRPSKI ": "sr"}}}, "languages", "same answer"),
        ({"tags": {"label": "T", "choices": {"  ": "x"}}}, "tags", "empty answer"),
        ({"timezone": {"label": "T", "choices": {"Belgrade": "Mars/Olympus"}}}, "timezone", "time zone"),
        ({"capacity": {"label": "C", "choices": {"Many": "lots"}}}, "capacity", "whole number"),
        ({"seniority": {"constant": 99}}, "seniority", "outside"),
        ({"consent": {"constant": True}}, "consent", "respondent's answer"),
        ({"consent": {"label": "C", "choices": {"Sure": "perhaps"}}}, "consent", "neither yes nor no"),
        ({"email": {"constant": "all@example.org"}}, "email", "respondent's answer"),
        ({"name": {"parts": []}}, "name", "at least 1"),
        ({"tags": {"constant": "solo"}}, "tags", "list constant"),
        ({"nickname": {"label": "Nick"}}, "nickname", "Extra inputs"),
        ({"consent": None}, "consent", "valid dictionary"),
    ],
)
def test_a_wrong_mapping_is_refused_naming_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        FieldMapping.model_validate(SIMPLE_MAPPING | changes)
    first = caught.value.errors()[0]
    assert first["loc"][0] == field
    assert message in str(first["msg"])


def test_a_mapping_survives_a_json_round_trip() -> None:
    mapping = simple_mapping(
        tags={"label": "Topics", "choices": {"Vođstvo": "leadership"}, "pass_through": True}, capacity={"constant": 2}
    )
    assert FieldMapping.model_validate_json(mapping.model_dump_json()) == mapping
    assert FieldMapping.model_validate(mapping.model_dump(mode="json", exclude_none=True)) == mapping


def test_a_late_time_is_the_consent_time() -> None:
    later = NOW + timedelta(days=3)
    consent = _profile(apply_mapping(signup(at=later), simple_mapping())).consent
    assert consent is not None
    assert consent.at == later


@pytest.mark.parametrize(
    ("option", "given"),
    [
        ("Da, slažem se s obradom podataka", True),
        ("Ne, ne slažem se", False),
        ("I do not agree", False),
        ("I don't want my data used", False),
        ("Nesutinku", False),
        ("Ne strinjam se s pogoji", False),
        ("Jeg accepterer ikke", False),
        ("Не прихватам", False),
        ("I accept the programme's privacy notice", True),
    ],
)
def test_a_picked_option_that_negates_is_no_consent(option: str, given: bool) -> None:
    # GIVEN a consent question answered by picking one of its options
    form = _as_choice(signup(consent=None, **{"Terms": option}), "Terms")

    # WHEN applied THEN a negating wording is read as a refusal
    consent = _profile(apply_mapping(form, simple_mapping(consent={"label": "Terms"}))).consent
    assert consent == Consent(given=given, at=NOW)
