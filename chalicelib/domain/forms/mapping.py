"""Field mappings: which form question fills which profile field, and how its answer is coerced.

A coordinator stores one ``FieldMapping`` per webhook endpoint through the admin API;
nothing about a particular form lives in code. ``apply_mapping`` turns a vendor-neutral
``FormSubmission`` into a ``Profile``, or into ``MappingProblems`` that name each field
and say in plain words what is wrong. Bad answers are data, never exceptions.

A rule selects its question in exactly one way: by the vendor's question ``id``, its
``ref``, its ``label`` (compared case- and whitespace-insensitively), any of several
``labels`` (the same question as forms in other languages title it, so one shipped
template fits a Slovenian and a Danish form alike), a ``hidden`` field name, a list of
``parts`` joined with spaces (first and last name), or a fixed ``constant`` (role
"mentee" for a mentee-only form). A rule that selects by title may also carry the
question's ``key`` on one form, recorded by ``bind_mapping`` from a real submission: the
key is read first, so a question renamed later still maps. Pure: no I/O.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chalicelib.domain.forms.coercion import (
    COERCERS,
    PROFILE_FIELDS,
    CoercionProblem,
    ConstantValue,
    ProblemCode,
    check_rule,
    consent_from,
    normal_email,
    quote,
    single_text,
)
from chalicelib.domain.forms.submission import Answer, AnswerType, FormSubmission, is_blank, text_key
from chalicelib.domain.participant import Profile, Role

_SELECTORS = ("id", "ref", "label", "labels", "hidden")


class _Selecting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, min_length=1, max_length=500, description="The vendor's question id.")
    ref: str | None = Field(default=None, min_length=1, max_length=500, description="The question's ref / unique name.")
    label: str | None = Field(
        default=None, min_length=1, max_length=5000, description="The question text (case/whitespace-insensitive)."
    )
    labels: list[Annotated[str, Field(min_length=1, max_length=5000)]] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="Alternative question texts (one per form language); the first one answered is read.",
    )
    hidden: str | None = Field(default=None, min_length=1, max_length=500, description="A hidden field's name.")
    key: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="With label or labels: the question's id on this form, read first (recorded by binding).",
    )

    @model_validator(mode="after")
    def _key_with_titles(self) -> _Selecting:
        if self.key is not None and self.label is None and self.labels is None:
            raise ValueError("key goes with label or labels: it records which question those titles found")
        return self

    def _selectors(self) -> list[str]:
        return [name for name in _SELECTORS if getattr(self, name) is not None]

    def describe(self) -> str:
        if self.labels is not None:
            return "the question titled " + " or ".join(quote(label) for label in self.labels)
        for name in ("id", "ref", "label", "hidden"):
            value = getattr(self, name)
            if value is not None:
                what = "hidden field" if name == "hidden" else f"question with {name}"
                return f"the {what} {quote(value)}"
        return "no question"

    def title_keys(self) -> frozenset[str]:
        """The question texts this selects by, compared as ``text_key`` compares them."""
        titles = self.labels if self.labels is not None else [self.label] if self.label is not None else []
        return frozenset(text_key(title) for title in titles)


SelectingT = TypeVar("SelectingT", bound=_Selecting)


class Question(_Selecting):
    """Which answer a rule reads; exactly one way of selecting it."""

    @model_validator(mode="after")
    def _one_selector(self) -> Question:
        if len(self._selectors()) != 1:
            raise ValueError("select the question by exactly one of id, ref, label, labels or hidden")
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
            raise ValueError("set exactly one of id, ref, label, labels, hidden, parts or constant")
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
    ranked_topics: FieldRule | None = None
    ranked_mentors: FieldRule | None = None
    ranked_preferences: FieldRule | None = Field(
        default=None, description="Mappings made before the split: e-mails and ids read as mentors, the rest as topics."
    )
    goals: FieldRule | None = None
    consent: FieldRule
    consent_text_version: str | None = Field(
        default=None, max_length=100, description="Which consent wording the form shows; stored with the consent."
    )

    @field_validator(*PROFILE_FIELDS)
    @classmethod
    def _valid_rule(cls, rule: FieldRule | None, info: Any) -> FieldRule | None:
        if rule is not None:
            check_rule(info.field_name, rule)
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


_MISSING = object()


# An answer missing from the coordinator's choices for one of these optional questions (a language
# "Hrvatski", an "Other" option) is left out and noted, not allowed to stop the signup: the person
# still hears from the programme. Without a choices table the mapping itself is wrong, and it blocks.
_TOLERANT_FIELDS = frozenset({"language", "languages", "timezone", "company", "department", "tags"})
_LIST_FIELDS = frozenset({"languages", "tags"})


def apply_mapping(submission: FormSubmission, mapping: FieldMapping) -> Profile | MappingProblems:
    """Fill a profile from a submission; every field that cannot be filled is reported, none raises."""
    return map_submission(submission, mapping)[0]


def map_submission(
    submission: FormSubmission, mapping: FieldMapping
) -> tuple[Profile | MappingProblems, list[MappingProblem]]:
    """``apply_mapping``, and the unlisted answers to optional questions it left out (notes for a coordinator)."""
    values: dict[str, Any] = {}
    problems: list[MappingProblem] = []
    notes: list[MappingProblem] = []
    rules = mapping.rules()
    for field in PROFILE_FIELDS:
        rule = rules.get(field)
        try:
            value = _default(field, submission) if rule is None else _fill(field, rule, submission, mapping)
        except CoercionProblem as problem:
            found = MappingProblem(field=field, code=problem.code, reason=problem.reason)
            listed = rule is not None and rule.choices is not None and not rule.required
            if rule is None or not listed or problem.code != "unknown_choice" or field not in _TOLERANT_FIELDS:
                problems.append(found)
                continue
            notes.append(found)
            value = _known_items(field, rule, submission)
        if value is not _MISSING:
            values[field] = value

    if values.get("role") == Role.MENTEE.value:
        # Mixed forms ask capacity of mentors only; a mentee's stale answer must not block the signup.
        values.pop("capacity", None)
    if problems:
        return MappingProblems(problems=problems), notes
    try:
        return Profile.model_validate(values), notes
    except ValidationError as exc:
        return MappingProblems(problems=_profile_problems(exc)), notes


def unmapped_questions(submission: FormSubmission, mapping: FieldMapping) -> list[str]:
    """The questions answered in ``submission`` that no rule reads, named by label (else ref, else id)."""
    selecting: list[_Selecting] = []
    for rule in mapping.rules().values():
        selecting.extend(rule.parts or ([rule] if rule._selectors() else []))
    return [
        answer.label or answer.ref or answer.id
        for answer in submission.answers
        if not any(_selected(question, answer) for question in selecting if question.hidden is None)
    ]


def bind_mapping(mapping: FieldMapping, submission: FormSubmission) -> FieldMapping:
    """``mapping`` with each title-selected question's ``key`` on this form, as ``submission`` shows it.

    A rule whose titles find no question here keeps the key it had (if any); nothing else changes.
    """
    changes: dict[str, FieldRule] = {}
    for field, rule in mapping.rules().items():
        bound = _bound(rule, submission)
        parts = [_bound(part, submission) for part in rule.parts or []]
        if parts:
            bound = bound.model_copy(update={"parts": parts})
        if bound != rule:
            changes[field] = bound
    return mapping.model_copy(update=changes)


def _bound(question: SelectingT, submission: FormSubmission) -> SelectingT:
    if not question.title_keys():
        return question
    titled = [
        answer for answer in submission.answers if answer.label and text_key(answer.label) in question.title_keys()
    ]
    if not titled:
        return question
    return question.model_copy(update={"key": titled[0].id})


def _known_items(field: str, rule: FieldRule, submission: FormSubmission) -> Any:
    """The listed answers of a many-answer question, each coerced alone; nothing for a one-answer question."""
    if field not in _LIST_FIELDS:
        return _MISSING
    _, raw = _resolve(rule, submission)
    known = []
    for item in raw if isinstance(raw, list) else [raw]:
        try:
            known.extend(COERCERS[field]([item], None, rule, field))
        except CoercionProblem:
            continue
    return list(dict.fromkeys(known)) or _MISSING


def _default(field: str, submission: FormSubmission) -> Any:
    if field == "email":
        if submission.respondent_email:
            return normal_email(submission.respondent_email)
        raise CoercionProblem(
            "required_missing", "required answer missing: the form collected no e-mail and none is mapped"
        )
    if field in ("role", "name"):
        raise CoercionProblem("required_missing", f"required answer missing: {field} is not mapped")
    return _MISSING


def _fill(field: str, rule: FieldRule, submission: FormSubmission, mapping: FieldMapping) -> Any:
    answer_type, raw = _resolve(rule, submission)
    if raw is _MISSING or is_blank(raw):
        if field == "email" and submission.respondent_email:
            return normal_email(submission.respondent_email)
        if rule.required or field in ("role", "email", "name"):
            raise CoercionProblem("required_missing", f"required answer missing: no answer to {rule.describe()}")
        return _MISSING
    if field == "consent":
        return consent_from(raw, answer_type, rule, submission.submitted_at, mapping.consent_text_version)
    return COERCERS[field](raw, answer_type, rule, field)


def _resolve(rule: FieldRule, submission: FormSubmission) -> tuple[AnswerType | None, Any]:
    if rule.constant is not None:
        return None, rule.constant
    if rule.parts is not None:
        texts = []
        for part in rule.parts:
            _, value = _select(part, submission)
            if value is not _MISSING and not is_blank(value):
                texts.append(single_text(value, "name"))
        return AnswerType.TEXT, " ".join(texts) if texts else _MISSING
    return _select(rule, submission)


def _select(question: _Selecting, submission: FormSubmission) -> tuple[AnswerType | None, Any]:
    if question.hidden is not None:
        wanted = text_key(question.hidden)
        for name, value in submission.hidden.items():
            if text_key(name) == wanted:
                return AnswerType.TEXT, value
        return None, _MISSING
    found = _keyed(question, submission) or [answer for answer in submission.answers if _selected(question, answer)]
    for answer in found:
        if not is_blank(answer.value):
            return answer.type, answer.value
    return (found[0].type, found[0].value) if found else (None, _MISSING)


def _keyed(question: _Selecting, submission: FormSubmission) -> list[Answer]:
    """The answers to the question a binding recorded; none when the form no longer has it."""
    if question.key is None:
        return []
    return [answer for answer in submission.answers if answer.id == question.key]


def _selected(question: _Selecting, answer: Answer) -> bool:
    if question.key is not None and answer.id == question.key:
        return True
    if question.id is not None:
        return answer.id == question.id
    if question.ref is not None:
        return answer.ref == question.ref
    return answer.label is not None and text_key(answer.label) in question.title_keys()


def _profile_problems(exc: ValidationError) -> list[MappingProblem]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        field = str(error["loc"][0]) if error["loc"] else "profile"
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(MappingProblem(field=field, code="invalid_value", reason=message))
    return problems
