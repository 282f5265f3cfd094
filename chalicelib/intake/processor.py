"""The signup handler: a parsed form submission → mapped profile → enrolment, and the dry run of the mapping.

The inbox parses a delivery with its source's signup parser and hands the
``FormSubmission`` to ``handle_signup``; this module knows no vendor. A mapping that
does not fit or a missing consent is kept as *needs attention* with a reason (and the
mapping problems) for a coordinator, who fixes the mapping and replays it. Only storage
failures raise, so that the inbox retries them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.archive import SIGNUPS_CLOSED
from chalicelib.domain.forms.mapping import (
    FieldMapping,
    MappingProblem,
    MappingProblems,
    map_submission,
    unmapped_questions,
)
from chalicelib.domain.forms.submission import FormResponse, FormSubmission, NotASubmission, SubmissionParseError
from chalicelib.domain.participant import Participant, ParticipantStatus, Profile, participant_id_for
from chalicelib.domain.webhook import Delivery, WebhookEndpoint
from chalicelib.errors import VersionConflict
from chalicelib.services import erasures
from chalicelib.services.enrolment import EnrolmentOutcome as OnboardingOutcome
from chalicelib.services.enrolment import onboard, signup_reads
from chalicelib.services.inbox.ports import ProcessOutcome
from chalicelib.services.participants import withdraw
from chalicelib.storage.form_responses import form_response_key

if TYPE_CHECKING:
    from chalicelib.services.inbox.ports import ProcessingContext

ReadSubmission = Callable[[Delivery], FormSubmission]

NO_MAPPING = "no field mapping is configured for this endpoint"
NO_CONSENT = "consent not given"
NO_PROGRAMME = "the endpoint's programme does not exist any more"
MAPPING_FAILED = "the answers do not fit the field mapping"
CORRECTED = "the e-mail address was corrected in a later version of the same form response"
# Long enough for any edit of a response within a programme's cycle.
RESPONSE_KEPT = timedelta(days=400)
ROLE_CHANGE = "this e-mail is enrolled in the programme in the other role; a signup does not change it"


def handle_signup(submission: FormSubmission, endpoint: WebhookEndpoint, ctx: ProcessingContext) -> ProcessOutcome:
    """The ``signup`` handler: map the submission with the endpoint's mapping and enrol the person."""
    mapping = endpoint.field_mapping
    if mapping is None:
        return ProcessOutcome.needs_attention(NO_MAPPING, submission_id=submission.submission_id)
    mapped, notes = map_submission(submission, mapping)
    if isinstance(mapped, MappingProblems):
        return ProcessOutcome.needs_attention(
            f"{MAPPING_FAILED}: {mapped.summary()}"[:1000],
            submission_id=submission.submission_id,
            problems=[problem.model_dump(mode="json") for problem in mapped.problems],
        )
    outcome = _enrol_mapped(submission, endpoint, ctx, mapped, notes)
    # The sender's keyed hash goes on the delivery, so an erasure finds it without reading every body.
    return dataclasses.replace(outcome, person=erasures.subject(ctx.erasure_key, endpoint.tenant_id, mapped.email))


def _enrol_mapped(
    submission: FormSubmission,
    endpoint: WebhookEndpoint,
    ctx: ProcessingContext,
    mapped: Profile,
    notes: list[Any],
) -> ProcessOutcome:
    ctx.prefetch(
        [
            *signup_reads(endpoint.tenant_id, endpoint.programme_id, mapped.email, ctx.erasure_key),
            form_response_key(endpoint.tenant_id, endpoint.programme_id, submission.source, submission.submission_id),
        ]
    )
    earlier = _earlier_participant(submission, endpoint, ctx)
    if earlier is not None and earlier.participant_id != participant_id_for(
        endpoint.tenant_id, endpoint.programme_id, mapped.email
    ):
        if earlier.profile_submitted_at is not None and submission.submitted_at <= earlier.profile_submitted_at:
            return ProcessOutcome.done(outcome=OnboardingOutcome.STALE.value, submission_id=submission.submission_id)
        _retire(earlier, ctx)
    onboarded = onboard(
        storage=ctx.storage,
        notifier=ctx.notifier,
        clock=ctx.clock,
        tenant_id=endpoint.tenant_id,
        programme_id=endpoint.programme_id,
        profile=mapped,
        submitted_at=submission.submitted_at,
        erasure_key=ctx.erasure_key,
    )
    if onboarded.outcome is OnboardingOutcome.ARCHIVED:
        return ProcessOutcome.ignored(SIGNUPS_CLOSED)
    if onboarded.outcome is OnboardingOutcome.NO_CONSENT:
        return ProcessOutcome.needs_attention(NO_CONSENT, submission_id=submission.submission_id)
    if onboarded.outcome is OnboardingOutcome.ROLE_CHANGE:
        return ProcessOutcome.needs_attention(ROLE_CHANGE, submission_id=submission.submission_id)
    if onboarded.outcome is OnboardingOutcome.NO_PROGRAMME or onboarded.participant is None:
        return ProcessOutcome.needs_attention(NO_PROGRAMME, submission_id=submission.submission_id)
    _remember(submission, endpoint, onboarded.participant.participant_id, ctx)
    result: dict[str, Any] = {
        "participant_id": onboarded.participant.participant_id,
        "outcome": onboarded.outcome.value,
        "status": onboarded.participant.status.value,
        "submission_id": submission.submission_id,
    }
    if onboarded.message_id is not None:
        result["message_id"] = onboarded.message_id
    if notes:
        result["left_out"] = [note.model_dump(mode="json") for note in notes]
    return ProcessOutcome.done(**result)


def _earlier_participant(
    submission: FormSubmission, endpoint: WebhookEndpoint, ctx: ProcessingContext
) -> Participant | None:
    """Whom an earlier version of this response enrolled (an edit keeps the response id)."""
    known = ctx.storage.form_responses.get(
        endpoint.tenant_id, endpoint.programme_id, submission.source, submission.submission_id
    )
    if known is None:
        return None
    return ctx.storage.participants.get(endpoint.tenant_id, endpoint.programme_id, known.participant_id)


def _retire(earlier: Participant, ctx: ProcessingContext) -> None:
    """The address was corrected: the record at the old one gives up its place (and pairs) to the new one."""
    if earlier.status in (ParticipantStatus.WITHDRAWN, ParticipantStatus.COMPLETED):
        return
    withdraw(
        ctx.storage,
        tenant_id=earlier.tenant_id,
        programme_id=earlier.programme_id,
        participant_id=earlier.participant_id,
        reason=CORRECTED,
        expected_version=None,
        clock=ctx.clock,
        notifier=ctx.notifier,
    )


def _remember(
    submission: FormSubmission, endpoint: WebhookEndpoint, participant_id: str, ctx: ProcessingContext
) -> None:
    known = ctx.storage.form_responses.get(
        endpoint.tenant_id, endpoint.programme_id, submission.source, submission.submission_id
    )
    if known is not None and known.participant_id == participant_id:
        return
    record = FormResponse(
        tenant_id=endpoint.tenant_id,
        programme_id=endpoint.programme_id,
        source=submission.source,
        submission_id=submission.submission_id,
        participant_id=participant_id,
        expires_at=ctx.clock.now() + RESPONSE_KEPT,
    )
    # A concurrent edit of the same response saved first: theirs is at least as new.
    with suppress(VersionConflict):
        ctx.storage.form_responses.save(
            record if known is None else record.model_copy(update={"version": known.version})
        )


class Preview(BaseModel):
    """A dry run of one stored delivery against a mapping: what it would store, or why it would not."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    reason: str | None = None
    profile: Profile | None = None
    problems: list[MappingProblem] = Field(default_factory=list)
    unmapped_questions: list[str] = Field(
        default_factory=list, description="Questions answered that no rule reads: their answers are not kept."
    )
    left_out: list[MappingProblem] = Field(
        default_factory=list, description="Unlisted answers to optional questions: left out, not blocking."
    )
    submission: FormSubmission | None = Field(
        default=None, description="The answers as read, with the ids, refs and labels a mapping can select."
    )


def preview(delivery: Delivery, read: ReadSubmission, mapping: FieldMapping | None) -> Preview:
    """Parse (with the endpoint source's ``read``) and map a stored delivery without writing anything."""
    try:
        submission = read(delivery)
    except NotASubmission as exc:
        return Preview(ok=False, reason=str(exc))
    except SubmissionParseError as exc:
        return Preview(ok=False, reason=f"the submission cannot be read: {exc}")
    if mapping is None:
        return Preview(ok=False, reason=NO_MAPPING, submission=submission)
    mapped, notes = map_submission(submission, mapping)
    seen = {"left_out": notes, "unmapped_questions": unmapped_questions(submission, mapping), "submission": submission}
    if isinstance(mapped, MappingProblems):
        return Preview(ok=False, reason=MAPPING_FAILED, problems=mapped.problems, **seen)
    if mapped.consent is None or not mapped.consent.given:
        return Preview(ok=False, reason=NO_CONSENT, profile=mapped, **seen)
    return Preview(ok=True, profile=mapped, **seen)
