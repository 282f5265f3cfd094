"""Admin API v1 for meetings: a pair's meeting log and health, meetings recorded or confirmed by a coordinator.

Handlers only parse and call ``chalicelib.services.meetings``; the tenant is always the
bearer key's, so another tenant's pair answers 404 like a missing one. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalice import Blueprint
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from chalicelib.api.http import ApiContext, api_route
from chalicelib.domain.meetings import Meeting
from chalicelib.services import meetings

bp = Blueprint(__name__)
PAIR = "/api/v1/programmes/{programme_id}/pairs/{pair_id}"
TAG = "meetings"


class MeetingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = Field(default=None, description="Default: an hour after the start.")
    held: bool | None = Field(default=None, description="True: held; false: did not happen; omitted: booked.")
    reference: str | None = Field(
        default=None, min_length=1, max_length=200, description="Your id for it; by default the start names it."
    )

    @model_validator(mode="after")
    def _ordered(self) -> MeetingRequest:
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self

    @property
    def end(self) -> datetime:
        return self.ends_at or self.starts_at + timedelta(hours=1)


class ConfirmationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    met: bool = Field(description="True: the pair met; false: it did not.")


@api_route(
    bp,
    f"{PAIR}/meetings",
    "GET",
    summary="A pair's meeting log (newest first) and its health: last held, next booked, held against the cadence",
    response=meetings.MeetingLog,
    tag=TAG,
)
def meeting_log(ctx: ApiContext, programme_id: str, pair_id: str) -> meetings.MeetingLog:
    return meetings.meeting_log(ctx.container.storage, ctx.tenant_id, programme_id, pair_id)


@api_route(
    bp,
    f"{PAIR}/meetings",
    "POST",
    summary="Record a pair's meeting by hand: booked, held or not held; the same start records it once",
    body=MeetingRequest,
    response=Meeting,
    status=201,
    tag=TAG,
)
def record_meeting(ctx: ApiContext, body: MeetingRequest, programme_id: str, pair_id: str) -> Meeting:
    container = ctx.container
    return meetings.record_meeting(
        storage=container.storage,
        clock=container.clock,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        pair_id=pair_id,
        starts_at=body.starts_at,
        ends_at=body.end,
        held=body.held,
        reference=body.reference,
    )


@api_route(
    bp,
    f"{PAIR}/meetings/{{meeting_id}}/confirmation",
    "PUT",
    summary="Say whether a meeting took place; it outranks what the calendar says",
    body=ConfirmationRequest,
    response=Meeting,
    tag=TAG,
)
def confirm_meeting(
    ctx: ApiContext, body: ConfirmationRequest, programme_id: str, pair_id: str, meeting_id: str
) -> Meeting:
    container = ctx.container
    return meetings.confirm_meeting(
        storage=container.storage,
        clock=container.clock,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        pair_id=pair_id,
        meeting_id=meeting_id,
        met=body.met,
    )
