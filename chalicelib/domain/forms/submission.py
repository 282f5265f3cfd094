"""The one shape every form vendor's submission is read into before it is mapped to a profile.

Vendor parsers (``chalicelib.webhooks.sources``) produce a ``FormSubmission``; the field
mapping (``chalicelib.domain.forms.mapping``) reads only this shape, so a mapping is written
against questions and answers, never against a vendor's JSON. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.common import DomainModel
from chalicelib.domain.payloads import IrrelevantEvent, PayloadParseError

# Plain answer values: what a person typed or picked, with no vendor structure left.
# Lists keep the respondent's order (a ranking is a list), a dict is a grid or a payment.
AnswerValue = None | bool | int | float | str | list[str] | dict[str, str | list[str]]


class AnswerType(StrEnum):
    TEXT = "text"
    EMAIL = "email"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    TIME = "time"
    PHONE = "phone"
    URL = "url"
    CHOICE = "choice"
    CHOICES = "choices"
    RANKING = "ranking"
    FILE = "file"
    PAYMENT = "payment"
    MATRIX = "matrix"
    CALCULATED = "calculated"
    OTHER = "other"


class Answer(BaseModel):
    """One answered (or explicitly empty) question."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="The vendor's question id (Typeform field id, Tally key, Jotform qid).")
    ref: str | None = Field(default=None, description="A stable name set in the form builder, if the vendor has one.")
    label: str | None = Field(default=None, description="The question as shown to the respondent.")
    type: AnswerType
    value: AnswerValue = None
    vendor_type: str | None = Field(default=None, description="The vendor's own type name, for previews.")


class FormSubmission(BaseModel):
    """A form submission as any vendor sent it, reduced to questions and plain answers."""

    model_config = ConfigDict(extra="forbid")

    source: str
    form_id: str | None = None
    submission_id: str
    submitted_at: datetime
    answers: list[Answer] = Field(default_factory=list)
    hidden: dict[str, str] = Field(default_factory=dict, description="Hidden fields / URL parameters by name.")
    respondent_email: str | None = None


class SubmissionParseError(PayloadParseError):
    """A verified body that cannot be read as a submission of its vendor. The message names what is wrong."""

    what = "submission"


class NotASubmission(IrrelevantEvent):
    """A verified, well-formed event that is not a form submission (another event type)."""


def text_key(value: str) -> str:
    """How labels, hidden names and choice texts are compared: NFC, case- and whitespace-insensitive."""
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def is_blank(value: AnswerValue) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return not value
    return False


class FormResponse(DomainModel):
    """Which participant a form response enrolled, so that a later edit of it finds them.

    Form tools keep a response's id when its respondent edits it; an edit that corrects
    the e-mail address must move the person, not make a second one. Ids only; gone at
    ``expires_at``.
    """

    tenant_id: str
    programme_id: str
    source: str
    submission_id: str
    participant_id: str
    expires_at: datetime
