"""The webhook processor of every form source: parse → map → onboard, and the dry run of the first two.

Whatever a verified body holds, processing ends in an outcome: a submission that cannot
be read, a mapping that does not fit, or a missing consent is kept as *needs attention*
with a reason (and the mapping problems) for a coordinator, who fixes the mapping and
replays it. Only storage failures raise, so that the inbox retries them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.participant import Profile
from chalicelib.domain.webhook import Delivery, Source, WebhookEndpoint
from chalicelib.intake.mapping import FieldMapping, MappingProblem, MappingProblems, apply_mapping
from chalicelib.intake.sources.jotform import parse_jotform
from chalicelib.intake.sources.standard import parse_standard
from chalicelib.intake.sources.tally import parse_tally
from chalicelib.intake.sources.typeform import parse_typeform
from chalicelib.intake.submission import FormSubmission, NotASubmission, SubmissionParseError
from chalicelib.services.enrolment import EnrolmentOutcome as OnboardingOutcome
from chalicelib.services.enrolment import onboard
from chalicelib.webhooks.sources import ProcessOutcome

if TYPE_CHECKING:
    from chalicelib.webhooks.sources import ProcessingContext

Parser = Callable[[Delivery], FormSubmission]

NO_MAPPING = "no field mapping is configured for this endpoint"
NO_CONSENT = "consent not given"
NO_PROGRAMME = "the endpoint's programme does not exist any more"
MAPPING_FAILED = "the answers do not fit the field mapping"


def _content_type(delivery: Delivery) -> str:
    return delivery.headers.get("content-type") or delivery.content_type


PARSERS: dict[Source, Parser] = {
    Source.TYPEFORM: lambda d: parse_typeform(d.body),
    Source.TALLY: lambda d: parse_tally(d.body),
    Source.JOTFORM: lambda d: parse_jotform(d.body, _content_type(d), d.received_at),
    Source.GOOGLE_FORMS: lambda d: parse_standard(d.body, source=Source.GOOGLE_FORMS.value),
    Source.STANDARD: lambda d: parse_standard(d.body, source=Source.STANDARD.value),
}


def read_submission(delivery: Delivery) -> FormSubmission:
    """Parse a stored delivery with its source's parser.

    Raises
    ------
    SubmissionParseError
        The body cannot be read as a submission (or the source has no form parser).
    NotASubmission
        A well-formed event that is not a form submission.
    """
    parser = PARSERS.get(delivery.source)
    if parser is None:
        raise SubmissionParseError(f"{delivery.source.value} deliveries are not form submissions")
    return parser(delivery)


def process_form_delivery(delivery: Delivery, endpoint: WebhookEndpoint, ctx: ProcessingContext) -> ProcessOutcome:
    """The ``Processor`` of every form source."""
    try:
        submission = read_submission(delivery)
    except NotASubmission as exc:
        return ProcessOutcome.ignored(str(exc))
    except SubmissionParseError as exc:
        return ProcessOutcome.needs_attention(f"the submission cannot be read: {exc}")
    mapping = endpoint.field_mapping
    if mapping is None:
        return ProcessOutcome.needs_attention(NO_MAPPING, submission_id=submission.submission_id)
    mapped = apply_mapping(submission, mapping)
    if isinstance(mapped, MappingProblems):
        return ProcessOutcome.needs_attention(
            f"{MAPPING_FAILED}: {mapped.summary()}"[:1000],
            submission_id=submission.submission_id,
            problems=[problem.model_dump(mode="json") for problem in mapped.problems],
        )
    onboarded = onboard(
        storage=ctx.storage,
        notifier=ctx.notifier,
        clock=ctx.clock,
        tenant_id=endpoint.tenant_id,
        programme_id=endpoint.programme_id,
        profile=mapped,
        submitted_at=submission.submitted_at,
    )
    if onboarded.outcome is OnboardingOutcome.NO_CONSENT:
        return ProcessOutcome.needs_attention(NO_CONSENT, submission_id=submission.submission_id)
    if onboarded.outcome is OnboardingOutcome.NO_PROGRAMME or onboarded.participant is None:
        return ProcessOutcome.needs_attention(NO_PROGRAMME, submission_id=submission.submission_id)
    result: dict[str, Any] = {
        "participant_id": onboarded.participant.participant_id,
        "outcome": onboarded.outcome.value,
        "status": onboarded.participant.status.value,
        "submission_id": submission.submission_id,
    }
    if onboarded.message_id is not None:
        result["message_id"] = onboarded.message_id
    return ProcessOutcome.done(**result)


class Preview(BaseModel):
    """A dry run of one stored delivery against a mapping: what it would store, or why it would not."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    reason: str | None = None
    profile: Profile | None = None
    problems: list[MappingProblem] = Field(default_factory=list)
    submission: FormSubmission | None = Field(
        default=None, description="The answers as read, with the ids, refs and labels a mapping can select."
    )


def preview(delivery: Delivery, mapping: FieldMapping | None) -> Preview:
    """Parse and map a stored delivery without writing anything."""
    try:
        submission = read_submission(delivery)
    except NotASubmission as exc:
        return Preview(ok=False, reason=str(exc))
    except SubmissionParseError as exc:
        return Preview(ok=False, reason=f"the submission cannot be read: {exc}")
    if mapping is None:
        return Preview(ok=False, reason=NO_MAPPING, submission=submission)
    mapped = apply_mapping(submission, mapping)
    if isinstance(mapped, MappingProblems):
        return Preview(ok=False, reason=MAPPING_FAILED, problems=mapped.problems, submission=submission)
    if mapped.consent is None or not mapped.consent.given:
        return Preview(ok=False, reason=NO_CONSENT, profile=mapped, submission=submission)
    return Preview(ok=True, profile=mapped, submission=submission)
