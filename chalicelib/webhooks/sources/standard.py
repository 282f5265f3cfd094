"""mentorflow's neutral form submission, posted by our platform kits with Standard Webhooks signatures.

Tools that cannot sign or shape their own webhooks (Google Forms through an Apps Script,
Microsoft Forms through a Power Automate flow, anything else through a small script)
post this JSON to ``/hooks/google-forms/…`` or ``/hooks/standard/…``, signed as the
Standard Webhooks specification says (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``). The delivery id is ``webhook-id``.

The published contract is ``integrations/standard-submission.schema.json``, generated
from ``StandardSubmission`` (``python -m chalicelib.webhooks.sources.standard`` prints it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

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
from chalicelib.webhooks.signing import StandardWebhooksVerifier
from chalicelib.webhooks.sources._payload import aware, describe, load_json

NAME = "standard"
SUBMISSION_EVENT = "form.submitted"


class StandardAnswer(BaseModel):
    """One question and its answer, in the plain form mentorflow maps from."""

    model_config = ConfigDict(extra="ignore", title="Answer")

    id: str = Field(min_length=1, max_length=200, description="The tool's question id (Google Forms item id …).")
    ref: str | None = Field(default=None, max_length=200, description="An optional stable name for the question.")
    title: str | None = Field(default=None, max_length=5000, description="The question as the respondent saw it.")
    type: AnswerType = Field(description="What kind of answer ``value`` holds.")
    value: AnswerValue = Field(
        default=None,
        description=(
            "Text, number or boolean; a list of texts for several choices, a ranking (in rank order) or "
            "file URLs; an object for a grid (row → column texts); null when unanswered."
        ),
    )


class StandardSubmissionData(BaseModel):
    model_config = ConfigDict(extra="ignore", title="SubmissionData")

    form_id: str = Field(min_length=1, max_length=500)
    form_title: str | None = Field(default=None, max_length=1000)
    platform: str | None = Field(
        default=None, max_length=100, description="The tool the kit runs in: google-forms, microsoft-forms …"
    )
    response_id: str = Field(min_length=1, max_length=500, description="The tool's id of this response.")
    submitted_at: datetime = Field(description="When the respondent submitted (or last edited) the response.")
    respondent_email: str | None = Field(
        default=None, max_length=320, description="The e-mail the tool collected (signed-in or verified)."
    )
    answers: list[StandardAnswer] = Field(default_factory=list, max_length=1000)
    hidden: dict[str, str] = Field(
        default_factory=dict, description="Pre-filled or hidden values by name (URL parameters, flow variables)."
    )


class StandardSubmission(BaseModel):
    """A ``form.submitted`` event, the body our platform kits post."""

    model_config = ConfigDict(extra="ignore", title="mentorflow form submission")

    type: Literal["form.submitted"]
    timestamp: datetime = Field(description="When the kit sent the event.")
    data: StandardSubmissionData


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    data: Any = None


def standard_submission_schema() -> dict[str, Any]:
    return StandardSubmission.model_json_schema()


def parse_standard(body: bytes | None, *, source: str) -> FormSubmission:
    """Read a neutral submission posted to ``source`` (``google-forms`` or ``standard``).

    Raises
    ------
    SubmissionParseError
        The body is not a Standard Webhooks event, or a ``form.submitted`` event of another shape.
    NotASubmission
        A well-formed Standard Webhooks event of another type.
    """
    payload = load_json(body, what="submission")
    try:
        envelope = _Envelope.model_validate(payload)
    except ValidationError as exc:
        raise SubmissionParseError(describe(exc, what="submission")) from exc
    if envelope.type != SUBMISSION_EVENT:
        raise NotASubmission(f"event type {envelope.type[:60]!r} is not {SUBMISSION_EVENT}")
    try:
        event = StandardSubmission.model_validate(payload)
    except ValidationError as exc:
        raise SubmissionParseError(describe(exc, what="submission")) from exc
    data = event.data
    return FormSubmission(
        source=source,
        form_id=data.form_id,
        submission_id=data.response_id,
        submitted_at=aware(data.submitted_at),
        answers=[_answer(answer) for answer in data.answers],
        hidden=dict(data.hidden),
        respondent_email=(data.respondent_email or "").strip() or None,
    )


def _answer(answer: StandardAnswer) -> Answer:
    value: AnswerValue = answer.value
    return Answer(id=answer.id, ref=answer.ref, label=answer.title, type=answer.type, value=value)


def signup_parser(source: str) -> Callable[[Delivery], FormSubmission]:
    """The signup parser of a source whose kit posts this neutral submission."""

    def parse(delivery: Delivery) -> FormSubmission:
        return parse_standard(delivery.body, source=source)

    return parse


def standard_spec(name: str) -> SourceSpec:
    """A source posting the neutral submission with Standard Webhooks signatures (our kits)."""
    parse = signup_parser(name)
    return SourceSpec(
        name=name,
        verifier=StandardWebhooksVerifier,
        parsers={Purpose.SIGNUP: parse, Purpose.SURVEY: parse},
        secret_style=SecretStyle.WHSEC,
        delivery_id=StandardWebhooksVerifier.delivery_id,
    )


SPEC = standard_spec(NAME)


if __name__ == "__main__":
    print(json.dumps(standard_submission_schema(), indent=2, ensure_ascii=False))
