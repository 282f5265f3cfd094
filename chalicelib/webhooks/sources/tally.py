"""Tally webhooks: the ``FORM_RESPONSE`` event, its signature, and its reading into a ``FormSubmission``.

Tally signs the raw body: ``Tally-Signature: <base64 HMAC-SHA256>``. The delivery id is
``eventId``; the submission time is ``data.createdAt``. Choice answers arrive as option
ids and are turned into the option texts the respondent saw. A checkbox group is sent
twice, once as the list of ticked options and once per option as a boolean ("Label
(Option)"); both are kept, so a mapping can address either. Hidden fields become
``FormSubmission.hidden``; unknown field types are kept as plain values.
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

NAME = "tally"
SIGNATURE_HEADER = "tally-signature"
SUBMISSION_EVENT = "FORM_RESPONSE"

_SCALAR_TYPES: dict[str, AnswerType] = {
    "INPUT_TEXT": AnswerType.TEXT,
    "TEXTAREA": AnswerType.TEXT,
    "INPUT_NUMBER": AnswerType.NUMBER,
    "INPUT_EMAIL": AnswerType.EMAIL,
    "INPUT_PHONE_NUMBER": AnswerType.PHONE,
    "INPUT_LINK": AnswerType.URL,
    "INPUT_DATE": AnswerType.DATE,
    "INPUT_TIME": AnswerType.TIME,
    "RATING": AnswerType.NUMBER,
    "LINEAR_SCALE": AnswerType.NUMBER,
    "NPS": AnswerType.NUMBER,
    "CALCULATED_FIELDS": AnswerType.CALCULATED,
    "PAYMENT": AnswerType.PAYMENT,
    "CHECKBOX": AnswerType.BOOLEAN,
}
_SINGLE_CHOICE = frozenset({"MULTIPLE_CHOICE", "DROPDOWN"})
_MULTI_CHOICE = frozenset({"CHECKBOXES", "MULTI_SELECT"})
_FILES = frozenset({"FILE_UPLOAD", "SIGNATURE"})


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TallyOption(_Tolerant):
    id: str
    text: str | None = None


class TallyField(_Tolerant):
    key: str
    label: str | None = None
    type: str
    value: Any = None
    options: list[TallyOption] | None = None
    rows: list[TallyOption] | None = None
    columns: list[TallyOption] | None = None


class TallyResponse(_Tolerant):
    response_id: str | None = Field(default=None, alias="responseId")
    submission_id: str | None = Field(default=None, alias="submissionId")
    respondent_id: str | None = Field(default=None, alias="respondentId")
    form_id: str | None = Field(default=None, alias="formId")
    form_name: str | None = Field(default=None, alias="formName")
    created_at: datetime | None = Field(default=None, alias="createdAt")
    fields: list[TallyField] = Field(default_factory=list)


class TallyEvent(_Tolerant):
    event_id: str = Field(alias="eventId", min_length=1)
    event_type: str = Field(alias="eventType")
    created_at: datetime | None = Field(default=None, alias="createdAt")
    data: dict[str, Any] | None = None


SIGNING = BodyHmac(header=SIGNATURE_HEADER, encoding=Encoding.BASE64)


def parse_tally(body: bytes | None) -> FormSubmission:
    """Read a Tally webhook body.

    Raises
    ------
    SubmissionParseError
        The body is not a Tally event, or its ``data`` is malformed.
    NotASubmission
        A well-formed event of another type.
    """
    payload = load_json(body, what="Tally")
    try:
        event = TallyEvent.model_validate(payload)
    except ValidationError as exc:
        raise SubmissionParseError(describe(exc, what="Tally")) from exc
    if event.event_type != SUBMISSION_EVENT:
        raise NotASubmission(f"Tally event type {event.event_type[:60]!r} is not a form response")
    try:
        response = TallyResponse.model_validate(event.data)
    except ValidationError as exc:
        raise SubmissionParseError(describe(exc, what="Tally data")) from exc
    submitted_at = response.created_at or event.created_at
    if submitted_at is None:
        raise SubmissionParseError("Tally body has no data.createdAt")

    answers: list[Answer] = []
    hidden: dict[str, str] = {}
    for field in response.fields:
        if field.type == "HIDDEN_FIELDS":
            if field.value is not None:
                hidden[field.label or field.key] = _scalar_text(field.value)
            continue
        answers.append(_answer(field))
    return FormSubmission(
        source=NAME,
        form_id=response.form_id,
        submission_id=response.submission_id or response.response_id or event.event_id,
        submitted_at=aware(submitted_at),
        answers=answers,
        hidden=hidden,
    )


def _answer(field: TallyField) -> Answer:
    answer_type, value = _value(field)
    return Answer(id=field.key, label=field.label, type=answer_type, value=value, vendor_type=field.type)


def _value(field: TallyField) -> tuple[AnswerType, AnswerValue]:
    kind, raw = field.type, field.value
    if kind in _MULTI_CHOICE and isinstance(raw, bool):
        return AnswerType.BOOLEAN, raw
    if kind in _SINGLE_CHOICE:
        picked = _option_texts(raw, field.options)
        if len(picked) <= 1:
            return AnswerType.CHOICE, picked[0] if picked else None
        return AnswerType.CHOICES, picked
    if kind in _MULTI_CHOICE:
        return AnswerType.CHOICES, _option_texts(raw, field.options)
    if kind == "RANKING":
        return AnswerType.RANKING, _option_texts(raw, field.options)
    if kind in _FILES:
        return AnswerType.FILE, _urls(raw)
    if kind == "MATRIX":
        return AnswerType.MATRIX, _matrix(raw, field.rows, field.columns)
    if kind in _SCALAR_TYPES:
        return _SCALAR_TYPES[kind], _plain(raw)
    return AnswerType.OTHER, _plain(raw)


def _option_texts(raw: Any, options: list[TallyOption] | None) -> list[str]:
    """Option ids to the texts shown; an id not among the options is free text ("Other") and kept."""
    texts = {option.id: option.text for option in options or []}
    values = raw if isinstance(raw, list) else [] if raw is None else [raw]
    picked = []
    for item in values:
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            key = str(item)
            picked.append(texts.get(key) or key)
    return picked


def _urls(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    urls = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            urls.append(item["url"])
        elif isinstance(item, str):
            urls.append(item)
    return urls


def _matrix(raw: Any, rows: list[TallyOption] | None, columns: list[TallyOption] | None) -> dict[str, str | list[str]]:
    if not isinstance(raw, dict):
        return {}
    row_texts = {row.id: row.text for row in rows or []}
    grid: dict[str, str | list[str]] = {}
    for row_id, picked in raw.items():
        grid[row_texts.get(str(row_id)) or str(row_id)] = _option_texts(picked, columns)
    return grid


def _plain(raw: Any) -> AnswerValue:
    if raw is None or isinstance(raw, bool | int | float | str):
        return raw
    if isinstance(raw, list):
        return [_scalar_text(item) for item in raw if item is not None]
    if isinstance(raw, dict):
        return {str(k): _scalar_text(v) for k, v in raw.items() if v is not None}
    return None


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(_scalar_text(v) for v in value)
    return str(value)


def _parse_signup(delivery: Delivery) -> FormSubmission:
    return parse_tally(delivery.body)


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: SIGNING,
    parsers={Purpose.SIGNUP: _parse_signup, Purpose.SURVEY: _parse_signup},
    secret_style=SecretStyle.TOKEN,
    delivery_id=json_id("eventId"),
)
