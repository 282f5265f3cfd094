"""Admin API v1 for connected calendars: their state (watch expiry, last sync, last error), connecting, revoking.

No token, sealed or not, and no sync token ever leaves through this API.
"""

from __future__ import annotations

from datetime import datetime

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import ApiContext, api_route
from chalicelib.calendars import admin, consent
from chalicelib.domain.calendars import CalendarConnection, ConnectionState, Grant, Provider

bp = Blueprint(__name__)
V1 = "/api/v1"
TAG = "calendars"


class CalendarConnectionOut(BaseModel):
    connection_id: str
    programme_id: str
    endpoint_id: str
    participant_id: str | None
    provider: Provider
    grant: Grant
    calendar_id: str
    state: ConnectionState
    watch_expires_at: datetime | None
    next_renewal_at: datetime | None
    renew_failures: int
    last_sync_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CalendarList(BaseModel):
    items: list[CalendarConnectionOut]


class CalendarQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme_id: str | None = Field(default=None, max_length=100)


class OrganisationGrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint_id: str = Field(min_length=1, max_length=100)
    provider: Provider
    calendar_id: str = Field(min_length=3, max_length=320, description="The mailbox or calendar address to read.")
    credentials_ref: str = Field(
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$",
        description="Secrets Manager ARN of the grant: Microsoft's client id, secret and directory tenant, or "
        "Google's service account key file (domain-wide delegation).",
    )


class ConnectLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint_id: str = Field(min_length=1, max_length=100)
    participant_id: str = Field(min_length=1, max_length=100)


def _out(connection: CalendarConnection) -> CalendarConnectionOut:
    return CalendarConnectionOut(
        connection_id=connection.connection_id,
        programme_id=connection.programme_id,
        endpoint_id=connection.endpoint_id,
        participant_id=connection.participant_id,
        provider=connection.provider,
        grant=connection.grant,
        calendar_id=connection.calendar_id,
        state=connection.state,
        watch_expires_at=connection.watch_expires_at,
        next_renewal_at=connection.renew_at,
        renew_failures=connection.renew_failures,
        last_sync_at=connection.last_sync_at,
        last_error=connection.last_error,
        last_error_at=connection.last_error_at,
        created_at=connection.created_at,
        updated_at=connection.updated_at,
    )


@api_route(
    bp,
    f"{V1}/calendars",
    "GET",
    summary="Connected calendars and their state: watch expiry, last sync, last error",
    query=CalendarQuery,
    response=CalendarList,
    tag=TAG,
)
def list_calendars(ctx: ApiContext, query: CalendarQuery) -> CalendarList:
    found = admin.list_connections(ctx.container.storage, tenant_id=ctx.tenant_id, programme_id=query.programme_id)
    return CalendarList(items=[_out(c) for c in found])


@api_route(
    bp,
    f"{V1}/calendars",
    "POST",
    summary="Read a calendar under an organisation-wide grant (its watch opens on the next renewal run)",
    body=OrganisationGrantIn,
    response=CalendarConnectionOut,
    status=201,
    tag=TAG,
)
def connect_calendar(ctx: ApiContext, body: OrganisationGrantIn) -> CalendarConnectionOut:
    connection = admin.connect_organisation(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        endpoint_id=body.endpoint_id,
        provider=body.provider,
        calendar_id=body.calendar_id,
        credentials_ref=body.credentials_ref,
        clock=ctx.container.clock,
    )
    return _out(connection)


@api_route(
    bp,
    f"{V1}/calendars/{{connection_id}}/revoke",
    "POST",
    summary="Stop reading a calendar and forget its tokens",
    response=CalendarConnectionOut,
    tag=TAG,
)
def revoke_calendar(ctx: ApiContext, connection_id: str) -> CalendarConnectionOut:
    container = ctx.container
    connection = admin.revoke_connection(
        container.storage,
        tenant_id=ctx.tenant_id,
        connection_id=connection_id,
        clock=container.clock,
        apis=container.calendar_apis,
    )
    return _out(connection)


@api_route(
    bp,
    f"{V1}/calendars/connect-links",
    "POST",
    summary="E-mail a participant a link to connect their own Google or Outlook calendar (read-only)",
    body=ConnectLinkIn,
    response=CalendarConnectionOut,
    status=201,
    tag=TAG,
)
def send_connect_link(ctx: ApiContext, body: ConnectLinkIn) -> CalendarConnectionOut:
    container = ctx.container
    connection = consent.invite_to_connect(
        storage=container.storage,
        notifier=container.notifier,
        apis=container.calendar_apis,
        keys=container.link_keys,
        clock=container.clock,
        tenant_id=ctx.tenant_id,
        endpoint_id=body.endpoint_id,
        participant_id=body.participant_id,
    )
    return _out(connection)
