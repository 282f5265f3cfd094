"""Field mappings: which form question fills which profile field, and how its answer is coerced.

A coordinator stores one ``FieldMapping`` per webhook endpoint through the admin API;
nothing about a particular form lives in code. ``apply_mapping`` turns a vendor-neutral
``FormSubmission`` into a ``Profile``, or into ``MappingProblems`` that name each field
and say in plain words what is wrong. Bad answers are data, never exceptions.

A rule selects its question in exactly one way: by the vendor's question ``id``, its
``ref``, its ``label`` (compared case- and whitespace-insensitively), a ``hidden`` field
name, a list of ``parts`` joined with spaces (first and last name), or a fixed
``constant`` (role "mentee" for a mentee-only form). Pure: no I/O.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chalicelib.domain.common import normalise_email
from chalicelib.domain.participant import Consent, Profile, Role
from chalicelib.domain.programme import validate_timezone
from chalicelib.intake.submission import Answer, AnswerType, AnswerValue, FormSubmission, is_blank, text_key

ProfileField = Literal[
    "role",
    "email",
    "name",
    "language",
    "languages",
    "timezone",
    "company",
    "department",
    "manager_email",
    "seniority",
    "tags",
    "capacity",
    "ranked_preferences",
    "consent",
]
PROFILE_FIELDS: tuple[str, ...] = get_args(ProfileField)
ProblemCode = Literal[
    "required_missing",
    "unknown_choice",
    "invalid_email",
    "invalid_value",
    "too_long",
    "too_many",
    "not_a_number",
    "out_of_range",
    "not_single",
]

MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 200
MAX_TAG_LENGTH = 100
MAX_TAGS = 100
MAX_LANGUAGES = 20
MAX_PREFERENCES = 20
MAX_NUMBER = 50
_QUOTE_LENGTH = 80
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")

ConstantValue = bool | int | str | list[str]

# Answers read as consent, in the languages programmes run in (compared with ``text_key``).
YES_WORDS = frozenset(
    {
        # English
        "yes", "y", "true", "1", "on", "x", "✓", "✔", "ok", "checked", "agree", "i agree", "accept", "i accept",
        "i consent",
        # Serbian, both scripts
        "da", "да", "slažem se", "slazem se", "слажем се", "prihvatam", "прихватам", "saglasan sam",
        "saglasna sam", "сагласан сам", "сагласна сам",
        # Lithuanian
        "taip", "sutinku",
        # Slovenian
        "strinjam se", "soglašam se", "soglasam se",
        # Danish
        "ja", "enig", "jeg er enig", "accepterer", "jeg accepterer", "jeg giver samtykke",
    }
)  # fmt: skip
NO_WORDS = frozenset(
    {
        "no", "n", "false", "0", "off",
        "ne", "не", "ne slažem se", "ne slazem se", "не слажем се",
        "nesutinku", "ne sutinku",
        "ne strinjam se",
        "nej", "uenig", "jeg er ikke enig",
    }
)  # fmt: skip


# Words that turn an option's wording into a refusal ("I do not agree", "Ne prihvatam", "Jeg accepterer ikke").
NEGATIONS = frozenset(
    {
        "no", "not", "don't", "dont", "never", "disagree", "decline",
        "ne", "не", "nikako", "odbijam",
        "nesutinku", "nesutinkame",
        "nočem", "nocem",
        "nej", "ikke", "aldrig",
    }
)  # fmt: skip


class _Selecting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, min_length=1, max_length=500, description="The vendor's question id.")
    ref: str | None = Field(default=None, min_length=1, max_length=500, description="The question's ref / unique name.")
    label: str | None = Field(
        default=None, min_length=1, max_length=5000, description="The question text (case/whitespace-insensitive)."
    )
    hidden: str | None = Field(default=None, min_length=1, max_length=500, description="A hidden field's name.")

    def _selectors(self) -> list[str]:
        return [name for name in ("id", "ref", "label", "hidden") if getattr(self, name) is not None]

    def describe(self) -> str:
        for name in ("id", "ref", "label", "hidden"):
            value = getattr(self, name)
            if value is not None:
                what = "hidden field" if name == "hidden" else f"question with {name}"
                return f"the {what} {_quote(value)}"
        return "no question"


class Question(_Selecting):
    """Which answer a rule reads; exactly one way of selecting it."""

    @model_validator(mode="after")
    def _one_selector(self) -> Question:
        if len(self._selectors()) != 1:
            raise ValueError("select the question by exactly one of id, ref, label or hidden")
        return self


class FieldRule(_Selecting):
    """How one profile field is filled: a selected answer (or a constant) and how to coerce it."""

    parts: list[Question] | None = Field(
        default=None, min_length=1, max_length=5, description="Answers joined with spaces (first + last name)."
    )
    constant: ConstantValue | None = Field(default=None, description="A fixed value instead of an answer.")
    required: bool = Field(default=False, description="A missing answer is a problem, not an empty field.")
    choices: dict[str, str] | None = Field(
        default=None,
        max_length=500,
        description="Answer text (case-insensitive) → stored value: a language code, a tag, a number, yes/no.",
    )
    pass_through: bool = Field(
        default=False, description="Keep an answer that is not in ``choices`` as it is instead of reporting it."
    )
    separator: str | None = Field(
        default=None, min_length=1, max_length=5, description="Split a text answer into several values."
    )

    @model_validator(mode="after")
    def _one_source(self) -> FieldRule:
        chosen = self._selectors() + [n for n in ("parts", "constant") if getattr(self, n) is not None]
        if len(chosen) != 1:
            raise ValueError("set exactly one of id, ref, label, hidden, parts or constant")
        if self.choices is not None:
            keys = [text_key(k) for k in self.choices]
            if not all(keys):
                raise ValueError("choices has an empty answer")
            if len(set(keys)) != len(keys):
                raise ValueError("choices has the same answer twice (they are compared case-insensitively)")
        return self

    @property
    def choice_table(self) -> dict[str, str] | None:
        return None if self.choices is None else {text_key(k): v for k, v in self.choices.items()}

    def describe(self) -> str:
        if self.parts is not None:
            return " and ".join(part.describe() for part in self.parts)
        if self.constant is not None:
            return "the constant"
        return super().describe()


class FieldMapping(BaseModel):
    """The mapping of one endpoint's form onto the participant profile.

    ``role``, ``name`` and ``consent`` must be mapped. Without an ``email`` rule the
    e-mail the form tool collected itself (``respondent_email``) is used.
    """

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=500, description="A note for coordinators.")
    role: FieldRule
    email: FieldRule | None = None
    name: FieldRule
    language: FieldRule | None = None
    languages: FieldRule | None = None
    timezone: FieldRule | None = None
    company: FieldRule | None = None
    department: FieldRule | None = None
    manager_email: FieldRule | None = None
    seniority: FieldRule | None = None
    tags: FieldRule | None = None
    capacity: FieldRule | None = None
    ranked_preferences: FieldRule | None = None
    consent: FieldRule
    consent_text_version: str | None = Field(
        default=None, max_length=100, description="Which consent wording the form shows; stored with the consent."
    )

    @field_validator(*PROFILE_FIELDS)
    @classmethod
    def _valid_rule(cls, rule: FieldRule | None, info: Any) -> FieldRule | None:
        if rule is not None:
            _check_rule(info.field_name, rule)
        return rule

    def rules(self) -> dict[str, FieldRule]:
        return {name: rule for name in PROFILE_FIELDS if (rule := getattr(self, name)) is not None}


class MappingProblem(BaseModel):
    """One profile field the answers could not fill, and why, in words a coordinator understands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    code: ProblemCode
    reason: str


class MappingProblems(BaseModel):
    model_config = ConfigDict(extra="forbid")

    problems: list[MappingProblem] = Field(min_length=1)

    def summary(self) -> str:
        return "; ".join(f"{p.field}: {p.reason}" for p in self.problems)


class _Problem(Exception):
    """Internal control flow of the coercions; never escapes ``apply_mapping``."""

    def __init__(self, code: ProblemCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


_MISSING = object()


def apply_mapping(submission: FormSubmission, mapping: FieldMapping) -> Profile | MappingProblems:
    """Fill a profile from a submission; every field that cannot be filled is reported, none raises."""
    values: dict[str, Any] = {}
    problems: list[MappingProblem] = []
    rules = mapping.rules()
    for field in PROFILE_FIELDS:
        rule = rules.get(field)
        try:
            value = _default(field, submission) if rule is None else _fill(field, rule, submission, mapping)
        except _Problem as problem:
            problems.append(MappingProblem(field=field, code=problem.code, reason=problem.reason))
            continue
        if value is not _MISSING:
            values[field] = value

    if values.get("role") == Role.MENTEE.value:
        # Mixed forms ask capacity of mentors only; a mentee's stale answer must not block the signup.
        values.pop("capacity", None)
    if problems:
        return MappingProblems(problems=problems)
    try:
        return Profile.model_validate(values)
    except ValidationError as exc:
        return MappingProblems(problems=_profile_problems(exc))


def _default(field: str, submission: FormSubmission) -> Any:
    if field == "email":
        if submission.respondent_email:
            return _email(submission.respondent_email)
        raise _Problem("required_missing", "required answer missing: the form collected no e-mail and none is mapped")
    if field in ("role", "name"):
        raise _Problem("required_missing", f"required answer missing: {field} is not mapped")
    return _MISSING


def _fill(field: str, rule: FieldRule, submission: FormSubmission, mapping: FieldMapping) -> Any:
    answer_type, raw = _resolve(rule, submission)
    if raw is _MISSING or is_blank(raw):
        if field == "email" and submission.respondent_email:
            return _email(submission.respondent_email)
        if rule.required or field in ("role", "email", "name"):
            raise _Problem("required_missing", f"required answer missing: no answer to {rule.describe()}")
        return _MISSING
    if field == "consent":
        return _consent(raw, answer_type, rule, submission.submitted_at, mapping.consent_text_version)
    return _COERCERS[field](raw, answer_type, rule, field)


def _resolve(rule: FieldRule, submission: FormSubmission) -> tuple[AnswerType | None, Any]:
    if rule.constant is not None:
        return None, rule.constant
    if rule.parts is not None:
        texts = []
        for part in rule.parts:
            _, value = _select(part, submission)
            if value is not _MISSING and not is_blank(value):
                texts.append(_single_text(value, "name"))
        return AnswerType.TEXT, " ".join(texts) if texts else _MISSING
    return _select(rule, submission)


def _select(question: _Selecting, submission: FormSubmission) -> tuple[AnswerType | None, Any]:
    if question.hidden is not None:
        wanted = text_key(question.hidden)
        for name, value in submission.hidden.items():
            if text_key(name) == wanted:
                return AnswerType.TEXT, value
        return None, _MISSING
    found = [answer for answer in submission.answers if _selected(question, answer)]
    for answer in found:
        if not is_blank(answer.value):
            return answer.type, answer.value
    return (found[0].type, found[0].value) if found else (None, _MISSING)


def _selected(question: _Selecting, answer: Answer) -> bool:
    if question.id is not None:
        return answer.id == question.id
    if question.ref is not None:
        return answer.ref == question.ref
    return answer.label is not None and text_key(answer.label) == text_key(question.label or "")


# Coercions. Each takes the raw answer and returns the profile value or raises _Problem.


def _role(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    text = _single_text(raw, field)
    mapped = _lookup(text, rule, field, pass_through=False)
    key = text_key(mapped)
    if key not in {r.value for r in Role}:
        raise _Problem("unknown_choice", f"unknown choice {_quote(text)} for role (expected mentor or mentee)")
    return key


def _email_field(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    return _email(_single_text(raw, field))


def _email(text: str) -> str:
    if len(text) > 320:
        raise _Problem("invalid_email", "not a valid e-mail address (too long)")
    try:
        return normalise_email(text)
    except ValueError as exc:
        raise _Problem("invalid_email", "not a valid e-mail address") from exc


def _name(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    return _bounded(_single_text(raw, field), MAX_NAME_LENGTH, field)


def _plain_text(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    text = _single_text(raw, field)
    if rule.choices is not None:
        text = _lookup(text, rule, field, pass_through=rule.pass_through)
    return _bounded(text, MAX_TEXT_LENGTH, field)


def _language(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    return _language_code(_single_text(raw, field), rule, field)


def _languages(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> list[str]:
    items = _many_texts(raw, rule)
    codes: list[str] = []
    unknown: list[str] = []
    for item in items:
        try:
            codes.append(_language_code(item, rule, field))
        except _Problem:
            unknown.append(item)
    if unknown:
        listed = ", ".join(_quote(u) for u in unknown[:5])
        raise _Problem("unknown_choice", f"unknown choice {listed} for {field}")
    codes = list(dict.fromkeys(codes))
    if len(codes) > MAX_LANGUAGES:
        raise _Problem("too_many", f"{len(codes)} languages; at most {MAX_LANGUAGES}")
    return codes


def _language_code(text: str, rule: FieldRule, field: str) -> str:
    table = rule.choice_table
    if table is not None and text_key(text) in table:
        return table[text_key(text)]
    candidate = text_key(text).replace("_", "-")
    if (table is None or rule.pass_through) and _LANGUAGE_CODE.match(candidate):
        return candidate
    raise _Problem("unknown_choice", f"unknown choice {_quote(text)} for {field}")


def _timezone(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    text = _single_text(raw, field)
    zone = _lookup(text, rule, field, pass_through=True).strip()
    try:
        return validate_timezone(zone)
    except ValueError as exc:
        raise _Problem("invalid_value", f"{_quote(text)} is not a known time zone (such as Europe/Belgrade)") from exc


def _whole_number(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> int:
    if isinstance(raw, bool):
        raise _Problem("not_a_number", "a yes/no answer is not a number")
    value: Any = raw
    if not isinstance(raw, int | float):
        text = _single_text(raw, field)
        value = _lookup(text, rule, field, pass_through=True) if rule.choices is not None else text
        try:
            value = float(str(value).strip().replace(",", "."))
        except ValueError as exc:
            raise _Problem("not_a_number", f"{_quote(text)} is not a number") from exc
    if not math.isfinite(value) or value != int(value):
        raise _Problem("not_a_number", f"{value} is not a whole number")
    number = int(value)
    if not 0 <= number <= MAX_NUMBER:
        raise _Problem("out_of_range", f"{number} is outside 0–{MAX_NUMBER}")
    return number


def _tag_list(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> list[str]:
    limit, length = (MAX_PREFERENCES, MAX_TEXT_LENGTH) if field == "ranked_preferences" else (MAX_TAGS, MAX_TAG_LENGTH)
    items = _many_texts(raw, rule)
    table = rule.choice_table
    values: list[str] = []
    unknown: list[str] = []
    for item in items:
        if table is not None and text_key(item) in table:
            values.append(table[text_key(item)])
        elif table is None or rule.pass_through:
            values.append(unicodedata.normalize("NFC", item).strip())
        else:
            unknown.append(item)
    if unknown:
        listed = ", ".join(_quote(u) for u in unknown[:5])
        raise _Problem("unknown_choice", f"unknown choice {listed} for {field}")
    values = list(dict.fromkeys(v for v in values if v))
    for value in values:
        _bounded(value, length, field)
    if len(values) > limit:
        raise _Problem("too_many", f"{len(values)} answers; at most {limit}")
    return values


def _consent(
    raw: AnswerValue, answer_type: AnswerType | None, rule: FieldRule, at: datetime, text_version: str | None
) -> Consent:
    return Consent(given=_consent_given(raw, answer_type, rule), at=at, text_version=text_version)


def _consent_given(raw: AnswerValue, answer_type: AnswerType | None, rule: FieldRule) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return raw != 0
    picked = answer_type in (AnswerType.CHOICE, AnswerType.CHOICES)
    texts = [str(v) for v in raw] if isinstance(raw, list) else [_single_text(raw, "consent")]
    verdicts = [_yes_no(text, rule) for text in texts]
    if any(v is False for v in verdicts):
        return False
    if all(v is True for v in verdicts):
        return True
    # A ticked option such as "I agree to the programme's privacy notice" is consent in itself, unless
    # its wording negates ("Ne, ne slažem se"): then, in doubt, no consent is assumed.
    if picked:
        return not any(_negates(text) for text, v in zip(texts, verdicts, strict=True) if v is None)
    unknown = next(t for t, v in zip(texts, verdicts, strict=True) if v is None)
    raise _Problem("unknown_choice", f"unknown choice {_quote(unknown)} for consent (expected yes or no)")


def _negates(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text_key(text))
    return any(word in NEGATIONS for word in words)


def _yes_no(text: str, rule: FieldRule) -> bool | None:
    key = text_key(text)
    table = rule.choice_table
    if table is not None and key in table:
        key = text_key(table[key])
    if key in YES_WORDS:
        return True
    if key in NO_WORDS:
        return False
    return None


_Coercer = Callable[[AnswerValue, AnswerType | None, FieldRule, str], Any]
_COERCERS: dict[str, _Coercer] = {
    "role": _role,
    "email": _email_field,
    "name": _name,
    "language": _language,
    "languages": _languages,
    "timezone": _timezone,
    "company": _plain_text,
    "department": _plain_text,
    "manager_email": _email_field,
    "seniority": _whole_number,
    "tags": _tag_list,
    "capacity": _whole_number,
    "ranked_preferences": _tag_list,
    "consent": lambda raw, t, rule, field: _consent_given(raw, t, rule),
}


# Helpers.


def _single_text(raw: Any, field: str) -> str:
    if isinstance(raw, list):
        items = [item for item in raw if not is_blank(item)]
        if len(items) != 1:
            raise _Problem("not_single", f"expected one answer for {field}, got {len(items)}")
        raw = items[0]
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else str(raw)
    if isinstance(raw, str):
        return raw.strip()
    raise _Problem("invalid_value", f"expected a text answer for {field}")


def _many_texts(raw: Any, rule: FieldRule) -> list[str]:
    if isinstance(raw, list):
        items = [str(item) for item in raw if not is_blank(item)]
    elif isinstance(raw, dict):
        raise _Problem("invalid_value", "expected a list of answers, got a grid")
    else:
        items = [_single_text(raw, "list")]
    if rule.separator is not None:
        items = [piece for item in items for piece in item.split(rule.separator)]
    return [item.strip() for item in items if item.strip()]


def _lookup(text: str, rule: FieldRule, field: str, *, pass_through: bool) -> str:
    table = rule.choice_table
    if table is None:
        return text
    key = text_key(text)
    if key in table:
        return table[key]
    if pass_through or rule.pass_through:
        return text
    raise _Problem("unknown_choice", f"unknown choice {_quote(text)} for {field}")


def _bounded(text: str, limit: int, field: str) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > limit:
        raise _Problem("too_long", f"the answer is {len(text)} characters long; {field} takes at most {limit}")
    return text


def _quote(value: str) -> str:
    """A value as it appears in a problem: quoted and clipped, so a huge answer does not flood the report."""
    clean = " ".join(str(value).split())
    clipped = clean if len(clean) <= _QUOTE_LENGTH else clean[: _QUOTE_LENGTH - 1] + "…"
    return f'"{clipped}"'


def _profile_problems(exc: ValidationError) -> list[MappingProblem]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = str(error["loc"][0]) if error["loc"] else "profile"
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(MappingProblem(field=field, code="invalid_value", reason=message))
    return problems


# Configuration checks, run when a mapping is stored: a wrong constant or choice value is
# reported to the coordinator then, not on the first submission.

_NO_CONSTANT = frozenset({"email", "name", "manager_email", "consent"})


def _check_rule(field: str, rule: FieldRule) -> None:
    if rule.constant is not None and field in _NO_CONSTANT:
        raise ValueError(f"{field} must come from the respondent's answer, not a constant")
    if rule.constant is not None:
        try:
            if field in ("languages", "tags", "ranked_preferences") and not isinstance(rule.constant, list):
                raise _Problem("invalid_value", f"{field} takes a list constant")
            _COERCERS[field](rule.constant, None, rule, field)
        except _Problem as problem:
            raise ValueError(f"constant: {problem.reason}") from None
    if rule.choices is None:
        return
    for answer, value in rule.choices.items():
        _check_choice_value(field, answer, value)


def _check_choice_value(field: str, answer: str, value: str) -> None:
    where = f"choices[{_quote(answer)}]"
    if field == "role" and text_key(value) not in {r.value for r in Role}:
        raise ValueError(f"{where}: {_quote(value)} is not mentor or mentee")
    if field in ("language", "languages") and not _LANGUAGE_CODE.match(text_key(value).replace("_", "-")):
        raise ValueError(f"{where}: {_quote(value)} is not a language code such as sr or en")
    if field == "timezone":
        try:
            validate_timezone(value)
        except ValueError:
            raise ValueError(f"{where}: {_quote(value)} is not a known time zone") from None
    if field in ("seniority", "capacity"):
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{where}: {_quote(value)} is not a whole number") from None
        if not 0 <= number <= MAX_NUMBER:
            raise ValueError(f"{where}: {number} is outside 0–{MAX_NUMBER}")
    if field == "consent" and text_key(value) not in YES_WORDS | NO_WORDS:
        raise ValueError(f"{where}: {_quote(value)} is neither yes nor no")
    if field in ("tags", "ranked_preferences") and not value.strip():
        raise ValueError(f"{where}: a choice cannot map to an empty value")
    if field in ("email", "name", "manager_email"):
        raise ValueError(f"{field} takes no choices")
