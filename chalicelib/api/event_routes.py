"""Admin API v1 for programme events: create one (its audience is invited at once), list them, record attendance.

Handlers parse and call ``chalicelib.services.events``. Invitations carry a link to
answer yes or no, so creating an event needs the public base URL (from the settings,
else the address the request came to).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import ApiContext, api_route
from chalicelib.domain.common import HumanText
from chalicelib.domain.events import Audience, EventKind, Invitation, ProgrammeEvent
from chalicelib.services import events
from chalicelib.services.link_issuer import LinkIssuer
from chalicelib.services.programmes import get_programme

bp = Blueprint(__name__)
PROGRAMME = "/api/v1/programmes/{programme_id}"
EVENT = PROGRAMME + "/events/{event_id}"
TAG = "events"


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EventKind
    title: HumanText = Field(min_length=1, max_length=200)
    audience: Audience = Audience.ALL
    starts_at: datetime
    ends_at: datetime
    place: HumanText | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=2000)
    reminder_days: list[int] = Field(default_factory=lambda: [7, 1], max_length=5)
    required_for_matching: bool = Field(default=False, description="Only attendees of its audience are matched.")


class EventCreated(BaseModel):
    event: ProgrammeEvent
    invited: int


class EventList(BaseModel):
    items: list[ProgrammeEvent]
    attendance: dict[str, dict[str, int]]


class AttendanceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attended: dict[str, bool] = Field(description="participant id → came or not", max_length=1000)


class InvitationList(BaseModel):
    items: list[Invitation]


@api_route(
    bp,
    f"{PROGRAMME}/events",
    "POST",
    summary="Create a programme event and invite its audience (an e-mail with a calendar file and a yes/no link)",
    body=EventCreate,
    response=EventCreated,
    status=201,
    tag=TAG,
)
def create_event(ctx: ApiContext, body: EventCreate, programme_id: str) -> EventCreated:
    container = ctx.container
    links = LinkIssuer(keys=container.link_keys, base_url=ctx.base_url)
    fields: dict[str, Any] = body.model_dump(exclude_none=True)
    event, invited = events.create_event(
        storage=container.storage,
        notifier=container.notifier,
        clock=container.clock,
        links=links,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        fields=fields,
    )
    return EventCreated(event=event, invited=invited)


@api_route(
    bp,
    f"{PROGRAMME}/events",
    "GET",
    summary="The programme's events, with invited, yes, no and attended per event",
    response=EventList,
    tag=TAG,
)
def list_events(ctx: ApiContext, programme_id: str) -> EventList:
    storage = ctx.container.storage
    get_programme(storage, ctx.tenant_id, programme_id)
    return EventList(
        items=storage.events.list(ctx.tenant_id, programme_id),
        attendance=events.event_figures(storage, ctx.tenant_id, programme_id),
    )


@api_route(
    bp,
    f"{EVENT}/invitations",
    "GET",
    summary="Who is invited to an event, their answer and their attendance",
    response=InvitationList,
    tag=TAG,
)
def list_invitations(ctx: ApiContext, programme_id: str, event_id: str) -> InvitationList:
    storage = ctx.container.storage
    events.get_event(storage, ctx.tenant_id, programme_id, event_id)
    return InvitationList(items=storage.events.invitations(ctx.tenant_id, programme_id, event_id))


@api_route(
    bp,
    f"{EVENT}/attendance",
    "POST",
    summary="Record who came to an event (participant id → true or false)",
    body=AttendanceUpdate,
    response=InvitationList,
    tag=TAG,
)
def record_attendance(ctx: ApiContext, body: AttendanceUpdate, programme_id: str, event_id: str) -> InvitationList:
    saved = events.record_attendance(
        storage=ctx.container.storage,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        event_id=event_id,
        attended=body.attended,
    )
    return InvitationList(items=saved)
