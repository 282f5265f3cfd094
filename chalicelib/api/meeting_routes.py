"""Admin API v1 for meetings: a pair's meeting log and health, meetings recorded or confirmed by a coordinator,
and the alias addresses by which calendar events name a participant.

Handlers only parse and call ``chalicelib.services.meetings``; the tenant is always the
bearer key's, so another tenant's pair answers 404 like a missing one. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalice import Blueprint, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from chalicelib.api.http import ApiContext, api_route
from chalicelib.domain.aliases import EmailAlias
from chalicelib.domain.meetings import Meeting
from chalicelib.services import aliases, health_backfill, meetings

bp = Blueprint(__name__)
PAIR = "/api/v1/programmes/{programme_id}/pairs/{pair_id}"
ALIASES = "/api/v1/programmes/{programme_id}/participants/{participant_id}/aliases"
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


@api_route(
    bp,
    "/api/v1/programmes/{programme_id}/health-backfill",
    "POST",
    summary="Give running pairs that started before meeting health was kept their health (safe to repeat)",
    response=dict[str, int],
    tag=TAG,
)
def backfill_pair_health(ctx: ApiContext, programme_id: str) -> dict[str, int]:
    container = ctx.container
    return health_backfill.backfill_pair_health(
        storage=container.storage, clock=container.clock, tenant_id=ctx.tenant_id, programme_id=programme_id
    )


class AliasRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, description="Another address the participant's invitations use.")


@api_route(
    bp,
    ALIASES,
    "GET",
    summary="A participant's alias e-mail addresses, which meeting matching counts as theirs",
    response=list[EmailAlias],
    tag=TAG,
)
def list_aliases(ctx: ApiContext, programme_id: str, participant_id: str) -> list[EmailAlias]:
    return aliases.list_aliases(ctx.container.storage, ctx.tenant_id, programme_id, participant_id)


@api_route(
    bp,
    ALIASES,
    "POST",
    summary="Add an alias e-mail address; one another participant of the programme uses is refused (409)",
    body=AliasRequest,
    response=EmailAlias,
    status=201,
    tag=TAG,
)
def add_alias(ctx: ApiContext, body: AliasRequest, programme_id: str, participant_id: str) -> EmailAlias:
    container = ctx.container
    return aliases.add_alias(
        storage=container.storage,
        clock=container.clock,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        participant_id=participant_id,
        email=body.email,
    )


@api_route(bp, f"{ALIASES}/{{alias_id}}", "DELETE", summary="Remove an alias", status=204, tag=TAG)
def remove_alias(ctx: ApiContext, programme_id: str, participant_id: str, alias_id: str) -> Response:
    aliases.remove_alias(
        storage=ctx.container.storage,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        participant_id=participant_id,
        alias_id=alias_id,
    )
    return Response(body="", status_code=204)
