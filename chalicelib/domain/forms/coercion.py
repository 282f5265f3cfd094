"""How one answer becomes one profile value: the coercions a field mapping applies, and its configuration checks.

Each coercion takes a raw answer and returns the profile value or raises
``CoercionProblem`` naming what is wrong in a coordinator's words; ``apply_mapping``
collects those as ``MappingProblems``. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

from chalicelib.domain.common import normalise_email
from chalicelib.domain.forms.submission import AnswerType, AnswerValue, is_blank, text_key
from chalicelib.domain.participant import Consent, Role
from chalicelib.domain.programme import validate_timezone

if TYPE_CHECKING:
    from chalicelib.domain.forms.mapping import FieldRule

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
    "ranked_topics",
    "ranked_mentors",
    "ranked_preferences",
    "goals",
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
MAX_GOALS_LENGTH = 2000
MAX_TAG_LENGTH = 100
MAX_TAGS = 100
MAX_LANGUAGES = 20
MAX_PREFERENCES = 20
#: Ranked lists; ``ranked_preferences`` is the one list of mappings made before topics and mentors were told apart.
RANKED_FIELDS = ("ranked_topics", "ranked_mentors", "ranked_preferences")
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


class CoercionProblem(Exception):
    """A coercion's refusal of an answer; ``apply_mapping`` turns it into a ``MappingProblem``, never raises it."""

    def __init__(self, code: ProblemCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# Coercions. Each takes the raw answer and returns the profile value or raises CoercionProblem.


def _role(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    text = single_text(raw, field)
    mapped = _lookup(text, rule, field, pass_through=False)
    key = text_key(mapped)
    if key not in {r.value for r in Role}:
        raise CoercionProblem("unknown_choice", f"unknown choice {quote(text)} for role (expected mentor or mentee)")
    return key


def _email_field(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    return normal_email(single_text(raw, field))


def normal_email(text: str) -> str:
    if len(text) > 320:
        raise CoercionProblem("invalid_email", "not a valid e-mail address (too long)")
    try:
        return normalise_email(text)
    except ValueError as exc:
        raise CoercionProblem("invalid_email", "not a valid e-mail address") from exc


def _name(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    return _bounded(single_text(raw, field), MAX_NAME_LENGTH, field)


def _plain_text(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    text = single_text(raw, field)
    if rule.choices is not None:
        text = _lookup(text, rule, field, pass_through=rule.pass_through)
    return _bounded(text, MAX_TEXT_LENGTH, field)


def _goals(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    # A long free-text answer; several answers (a checklist of goals) read as one text.
    texts = _many_texts(raw, rule)
    return _bounded("; ".join(texts), MAX_GOALS_LENGTH, field)


def _language(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    return _language_code(single_text(raw, field), rule, field)


def _languages(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> list[str]:
    items = _many_texts(raw, rule)
    codes: list[str] = []
    unknown: list[str] = []
    for item in items:
        try:
            codes.append(_language_code(item, rule, field))
        except CoercionProblem:
            unknown.append(item)
    if unknown:
        listed = ", ".join(quote(u) for u in unknown[:5])
        raise CoercionProblem("unknown_choice", f"unknown choice {listed} for {field}")
    codes = list(dict.fromkeys(codes))
    if len(codes) > MAX_LANGUAGES:
        raise CoercionProblem("too_many", f"{len(codes)} languages; at most {MAX_LANGUAGES}")
    return codes


def _language_code(text: str, rule: FieldRule, field: str) -> str:
    table = rule.choice_table
    if table is not None and text_key(text) in table:
        return table[text_key(text)]
    candidate = text_key(text).replace("_", "-")
    if (table is None or rule.pass_through) and _LANGUAGE_CODE.match(candidate):
        return candidate
    raise CoercionProblem("unknown_choice", f"unknown choice {quote(text)} for {field}")


def _timezone(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> str:
    text = single_text(raw, field)
    zone = _lookup(text, rule, field, pass_through=True).strip()
    try:
        return validate_timezone(zone)
    except ValueError as exc:
        raise CoercionProblem(
            "invalid_value", f"{quote(text)} is not a known time zone (such as Europe/Belgrade)"
        ) from exc


def _whole_number(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> int:
    if isinstance(raw, bool):
        raise CoercionProblem("not_a_number", "a yes/no answer is not a number")
    value: Any = raw
    if not isinstance(raw, int | float):
        text = single_text(raw, field)
        value = _lookup(text, rule, field, pass_through=True) if rule.choices is not None else text
        try:
            value = float(str(value).strip().replace(",", "."))
        except ValueError as exc:
            raise CoercionProblem("not_a_number", f"{quote(text)} is not a number") from exc
    if not math.isfinite(value) or value != int(value):
        raise CoercionProblem("not_a_number", f"{value} is not a whole number")
    number = int(value)
    if not 0 <= number <= MAX_NUMBER:
        raise CoercionProblem("out_of_range", f"{number} is outside 0–{MAX_NUMBER}")
    return number


def _tag_list(raw: AnswerValue, _t: AnswerType | None, rule: FieldRule, field: str) -> list[str]:
    limit, length = (MAX_PREFERENCES, MAX_TEXT_LENGTH) if field in RANKED_FIELDS else (MAX_TAGS, MAX_TAG_LENGTH)
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
        listed = ", ".join(quote(u) for u in unknown[:5])
        raise CoercionProblem("unknown_choice", f"unknown choice {listed} for {field}")
    values = list(dict.fromkeys(v for v in values if v))
    for value in values:
        _bounded(value, length, field)
    if len(values) > limit:
        raise CoercionProblem("too_many", f"{len(values)} answers; at most {limit}")
    return values


def consent_from(
    raw: AnswerValue, answer_type: AnswerType | None, rule: FieldRule, at: datetime, text_version: str | None
) -> Consent:
    return Consent(given=_consent_given(raw, answer_type, rule), at=at, text_version=text_version)


def _consent_given(raw: AnswerValue, answer_type: AnswerType | None, rule: FieldRule) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return raw != 0
    picked = answer_type in (AnswerType.CHOICE, AnswerType.CHOICES)
    texts = [str(v) for v in raw] if isinstance(raw, list) else [single_text(raw, "consent")]
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
    raise CoercionProblem("unknown_choice", f"unknown choice {quote(unknown)} for consent (expected yes or no)")


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


_Coercer = Callable[[AnswerValue, AnswerType | None, "FieldRule", str], Any]
COERCERS: dict[str, _Coercer] = {
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
    "ranked_topics": _tag_list,
    "ranked_mentors": _tag_list,
    "ranked_preferences": _tag_list,
    "goals": _goals,
    "consent": lambda raw, t, rule, field: _consent_given(raw, t, rule),
}


# Helpers.


def single_text(raw: Any, field: str) -> str:
    if isinstance(raw, list):
        items = [item for item in raw if not is_blank(item)]
        if len(items) != 1:
            raise CoercionProblem("not_single", f"expected one answer for {field}, got {len(items)}")
        raw = items[0]
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else str(raw)
    if isinstance(raw, str):
        return raw.strip()
    raise CoercionProblem("invalid_value", f"expected a text answer for {field}")


def _many_texts(raw: Any, rule: FieldRule) -> list[str]:
    if isinstance(raw, list):
        items = [str(item) for item in raw if not is_blank(item)]
    elif isinstance(raw, dict):
        raise CoercionProblem("invalid_value", "expected a list of answers, got a grid")
    else:
        items = [single_text(raw, "list")]
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
    raise CoercionProblem("unknown_choice", f"unknown choice {quote(text)} for {field}")


def _bounded(text: str, limit: int, field: str) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if len(text) > limit:
        raise CoercionProblem("too_long", f"the answer is {len(text)} characters long; {field} takes at most {limit}")
    return text


def quote(value: str) -> str:
    """A value as it appears in a problem: quoted and clipped, so a huge answer does not flood the report."""
    clean = " ".join(str(value).split())
    clipped = clean if len(clean) <= _QUOTE_LENGTH else clean[: _QUOTE_LENGTH - 1] + "…"
    return f'"{clipped}"'


# Configuration checks, run when a mapping is stored: a wrong constant or choice value is
# reported to the coordinator then, not on the first submission.

_NO_CONSTANT = frozenset({"email", "name", "manager_email", "consent"})


def check_rule(field: str, rule: FieldRule) -> None:
    if rule.constant is not None and field in _NO_CONSTANT:
        raise ValueError(f"{field} must come from the respondent's answer, not a constant")
    if rule.constant is not None:
        try:
            if field in ("languages", "tags", *RANKED_FIELDS) and not isinstance(rule.constant, list):
                raise CoercionProblem("invalid_value", f"{field} takes a list constant")
            COERCERS[field](rule.constant, None, rule, field)
        except CoercionProblem as problem:
            raise ValueError(f"constant: {problem.reason}") from None
    if rule.choices is None:
        return
    for answer, value in rule.choices.items():
        _check_choice_value(field, answer, value)


def _check_choice_value(field: str, answer: str, value: str) -> None:
    where = f"choices[{quote(answer)}]"
    if field == "role" and text_key(value) not in {r.value for r in Role}:
        raise ValueError(f"{where}: {quote(value)} is not mentor or mentee")
    if field in ("language", "languages") and not _LANGUAGE_CODE.match(text_key(value).replace("_", "-")):
        raise ValueError(f"{where}: {quote(value)} is not a language code such as sr or en")
    if field == "timezone":
        try:
            validate_timezone(value)
        except ValueError:
            raise ValueError(f"{where}: {quote(value)} is not a known time zone") from None
    if field in ("seniority", "capacity"):
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{where}: {quote(value)} is not a whole number") from None
        if not 0 <= number <= MAX_NUMBER:
            raise ValueError(f"{where}: {number} is outside 0–{MAX_NUMBER}")
    if field == "consent" and text_key(value) not in YES_WORDS | NO_WORDS:
        raise ValueError(f"{where}: {quote(value)} is neither yes nor no")
    if field in ("tags", *RANKED_FIELDS) and not value.strip():
        raise ValueError(f"{where}: a choice cannot map to an empty value")
    if field in ("email", "name", "manager_email"):
        raise ValueError(f"{field} takes no choices")
