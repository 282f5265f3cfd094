"""Typeform webhooks: the ``form_response`` payload, its signature, and its reading into a ``FormSubmission``.

Typeform signs the raw body: ``Typeform-Signature: sha256=<base64 HMAC-SHA256>``. The
delivery id is ``event_id``; the submission time is ``form_response.submitted_at``.
Answers carry only a field id (and sometimes a ref); titles and refs come from
``form_response.definition.fields``. Unknown keys and answer types are tolerated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.forms.submission import (
    Answer,
    AnswerType,
    AnswerValue,
    FormSubmission,
    NotASubmission,
    SubmissionParseError,
)
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import SourceSpec
from chalicelib.webhooks.signing import BodyHmac, Encoding
from chalicelib.webhooks.sources._payload import aware, describe, json_id, load_json

NAME = "typeform"
SIGNATURE_HEADER = "typeform-signature"
SUBMISSION_EVENT = "form_response"


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TypeformFieldRef(_Tolerant):
    id: str
    type: str | None = None
    ref: str | None = None


class TypeformChoice(_Tolerant):
    id: str | None = None
    label: str | None = None
    ref: str | None = None
    other: str | None = None


class TypeformChoices(_Tolerant):
    ids: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    refs: list[str] = Field(default_factory=list)
    other: str | None = None


class TypeformPayment(_Tolerant):
    amount: str | int | float | None = None
    last4: str | None = None
    name: str | None = None
    success: bool | None = None


class TypeformAnswer(BaseModel):
    # Extra keys are kept: an answer type Typeform adds later carries its value under its own name.
    model_config = ConfigDict(extra="allow")

    type: str
    field: TypeformFieldRef
    text: str | None = None
    email: str | None = None
    number: int | float | None = None
    boolean: bool | None = None
    date: str | None = None
    phone_number: str | None = None
    url: str | None = None
    file_url: str | None = None
    choice: TypeformChoice | None = None
    choices: TypeformChoices | None = None
    payment: TypeformPayment | None = None
    multi_format: dict[str, Any] | None = None


class TypeformDefinitionField(_Tolerant):
    id: str
    title: str | None = None
    type: str | None = None
    ref: str | None = None
    properties: dict[str, Any] | None = None


class TypeformDefinition(_Tolerant):
    id: str | None = None
    title: str | None = None
    fields: list[TypeformDefinitionField] = Field(default_factory=list)


class TypeformVariable(_Tolerant):
    key: str
    type: str | None = None
    text: str | None = None
    number: int | float | None = None


class TypeformFormResponse(_Tolerant):
    form_id: str | None = None
    token: str | None = None
    submitted_at: datetime
    landed_at: datetime | None = None
    hidden: dict[str, Any] = Field(default_factory=dict)
    calculated: dict[str, Any] | None = None
    variables: list[TypeformVariable] = Field(default_factory=list)
    definition: TypeformDefinition | None = None
    answers: list[TypeformAnswer] = Field(default_factory=list)


class TypeformEvent(_Tolerant):
    event_id: str = Field(min_length=1)
    event_type: str
    form_response: dict[str, Any] | None = None


SIGNING = BodyHmac(header=SIGNATURE_HEADER, encoding=Encoding.BASE64, prefix="sha256=")


def parse_typeform(body: bytes | None) -> FormSubmission:
    """Read a Typeform webhook body.

    Raises
    ------
    SubmissionParseError
        The body is not a Typeform event, or its ``form_response`` is malformed.
    NotASubmission
        A well-formed event of another type (for example ``form_response_partial``).
    """
    data = load_json(body, what="Typeform")
    try:
        event = TypeformEvent.model_validate(data)
    except ValidationError as exc:
        raise SubmissionParseError(describe(exc, what="Typeform")) from exc
    if event.event_type != SUBMISSION_EVENT:
        raise NotASubmission(f"Typeform event type {event.event_type[:60]!r} is not a completed form response")
    try:
        response = TypeformFormResponse.model_validate(event.form_response)
    except ValidationError as exc:
        raise SubmissionParseError(describe(exc, what="Typeform form_response")) from exc

    definitions = _definitions(response.definition.fields if response.definition else [])
    answers = [_answer(answer, definitions.get(answer.field.id)) for answer in response.answers]
    answers.extend(_computed(response))
    return FormSubmission(
        source=NAME,
        form_id=response.form_id or (response.definition.id if response.definition else None),
        submission_id=response.token or event.event_id,
        submitted_at=aware(response.submitted_at),
        answers=answers,
        hidden={str(k): _text(v) for k, v in response.hidden.items() if v is not None},
    )


def _definitions(fields: list[TypeformDefinitionField]) -> dict[str, TypeformDefinitionField]:
    """Every field of the form by id, including those nested in question groups."""
    found: dict[str, TypeformDefinitionField] = {}
    pending = list(fields)
    while pending:
        field = pending.pop()
        found.setdefault(field.id, field)
        nested = (field.properties or {}).get("fields")
        if isinstance(nested, list):
            for item in nested:
                try:
                    pending.append(TypeformDefinitionField.model_validate(item))
                except ValidationError:
                    continue
    return found


def _answer(answer: TypeformAnswer, definition: TypeformDefinitionField | None) -> Answer:
    answer_type, value = _value(answer)
    if answer.field.type == "ranking" and answer_type is AnswerType.CHOICES:
        answer_type = AnswerType.RANKING
    return Answer(
        id=answer.field.id,
        ref=answer.field.ref or (definition.ref if definition else None),
        label=definition.title if definition else None,
        type=answer_type,
        value=value,
        vendor_type=answer.field.type or answer.type,
    )


def _value(answer: TypeformAnswer) -> tuple[AnswerType, AnswerValue]:
    kind = answer.type
    if kind == "text":
        return AnswerType.TEXT, answer.text
    if kind == "email":
        return AnswerType.EMAIL, answer.email
    if kind == "number":
        return AnswerType.NUMBER, answer.number
    if kind == "boolean":
        return AnswerType.BOOLEAN, answer.boolean
    if kind == "date":
        return AnswerType.DATE, answer.date
    if kind == "phone_number":
        return AnswerType.PHONE, answer.phone_number
    if kind == "url":
        return AnswerType.URL, answer.url
    if kind == "file_url":
        return AnswerType.FILE, [answer.file_url] if answer.file_url else []
    if kind == "choice":
        choice = answer.choice or TypeformChoice()
        return AnswerType.CHOICE, choice.label if choice.label is not None else choice.other
    if kind == "choices":
        choices = answer.choices or TypeformChoices()
        picked = [*choices.labels, *([choices.other] if choices.other else [])]
        return AnswerType.CHOICES, picked
    if kind == "payment":
        payment = answer.payment or TypeformPayment()
        return AnswerType.PAYMENT, {k: _text(v) for k, v in payment.model_dump().items() if v is not None}
    if kind == "multi_format":
        media = answer.multi_format or {}
        return AnswerType.OTHER, {str(k): _text(v) for k, v in media.items() if isinstance(v, str | int | float)}
    extra = (answer.model_extra or {}).get(kind)
    if isinstance(extra, str | int | float | bool):
        return AnswerType.OTHER, extra
    return AnswerType.OTHER, None


def _computed(response: TypeformFormResponse) -> list[Answer]:
    computed = []
    score = (response.calculated or {}).get("score")
    if isinstance(score, int | float) and not isinstance(score, bool):
        computed.append(Answer(id="calculated.score", label="score", type=AnswerType.CALCULATED, value=score))
    for variable in response.variables:
        value: AnswerValue = variable.number if variable.type == "number" else variable.text
        computed.append(
            Answer(id=f"variables.{variable.key}", label=variable.key, type=AnswerType.CALCULATED, value=value)
        )
    return computed


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_signup(delivery: Delivery) -> FormSubmission:
    return parse_typeform(delivery.body)


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: SIGNING,
    parsers={Purpose.SIGNUP: _parse_signup, Purpose.SURVEY: _parse_signup},
    secret_style=SecretStyle.TOKEN,
    delivery_id=json_id("event_id"),
)
