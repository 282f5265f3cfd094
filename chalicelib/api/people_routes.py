"""Admin API v1 for people's data rights: export or erase a person; the retention period; archiving a programme.

The address travels in the body, never in the URL, so it stays out of access logs and
browser histories. All act for the tenant of the bearer key only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import ApiContext, api_route
from chalicelib.calendars.renewal import stop_watch
from chalicelib.domain.tenant import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.services import archiving, privacy, tenants

bp = Blueprint(__name__)
V1 = "/api/v1"
TAG = "people"


class PersonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)


class EraseRequest(PersonRequest):
    confirm: bool = Field(description="Must be true: an erasure cannot be undone.")


class PersonExport(BaseModel):
    email: str
    participants: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    messages_about: list[dict[str, Any]]
    submissions: list[dict[str, Any]]


class ErasureOut(BaseModel):
    erased_at: datetime
    erased_by: str
    items: dict[str, int]


class ErasureList(BaseModel):
    items: list[ErasureOut]


class ArchiveOut(BaseModel):
    archived_at: datetime
    archived_by: str
    scrub_at: datetime = Field(description="When its people are scrubbed, leaving the figures.")
    scrubbed_at: datetime | None
    figures: dict[str, int] = Field(description="Counts of people and pairs, taken at the scrub.")


class RetentionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retention_days: int = Field(ge=MIN_RETENTION_DAYS, le=MAX_RETENTION_DAYS)


class RetentionOut(BaseModel):
    retention_days: int = Field(description="Days parked submissions and archived programmes' people are kept.")


@api_route(
    bp,
    f"{V1}/people/export",
    "POST",
    summary="Everything held about a person (GDPR art. 15), raw form submissions included",
    body=PersonRequest,
    response=PersonExport,
    tag=TAG,
)
def export_person(ctx: ApiContext, body: PersonRequest) -> dict[str, Any]:
    container = ctx.container
    return privacy.export_person(
        container.storage, tenant_id=ctx.tenant_id, email=body.email, erasure_key=container.erasure_key
    )


@api_route(
    bp,
    f"{V1}/people/erase",
    "POST",
    summary="Erase a person (GDPR art. 17): release their pairs, remove their data, refuse its replays",
    body=EraseRequest,
    response=ErasureOut,
    tag=TAG,
)
def erase_person(ctx: ApiContext, body: EraseRequest) -> dict[str, Any]:
    if not body.confirm:
        raise ValidationFailed("body: confirm: must be true; an erasure cannot be undone")
    container = ctx.container
    erasure = privacy.erase_person(
        container.storage,
        container.notifier,
        container.clock,
        tenant_id=ctx.tenant_id,
        email=body.email,
        erased_by=f"api key {ctx.key_id}",
        erasure_key=container.erasure_key,
        stop_watch=lambda connection: stop_watch(connection, container.calendar_apis, container.clock),
    )
    return privacy.erasure_summary(erasure)


@api_route(
    bp,
    f"{V1}/people/erasures",
    "GET",
    summary="The tenant's erasures: who, when and how many items, never whom",
    response=ErasureList,
    tag=TAG,
)
def list_erasures(ctx: ApiContext) -> dict[str, Any]:
    return {"items": privacy.erasure_log(ctx.container.storage, tenant_id=ctx.tenant_id)}


def _retention_out(ctx: ApiContext) -> RetentionOut:
    period = tenants.retention(ctx.container.storage, ctx.tenant_id, default=_default_retention(ctx))
    return RetentionOut(retention_days=period.days)


@api_route(bp, f"{V1}/tenant/retention", "GET", summary="The tenant's retention period", response=RetentionOut, tag=TAG)
def get_retention(ctx: ApiContext) -> RetentionOut:
    return _retention_out(ctx)


@api_route(
    bp,
    f"{V1}/tenant/retention",
    "PUT",
    summary="Set the days parked submissions and archived programmes' people are kept (7 to 3650)",
    body=RetentionIn,
    response=RetentionOut,
    tag=TAG,
)
def set_retention(ctx: ApiContext, body: RetentionIn) -> RetentionOut:
    tenants.set_retention(ctx.container.storage, tenant_id=ctx.tenant_id, retention_days=body.retention_days)
    return _retention_out(ctx)


def _default_retention(ctx: ApiContext) -> timedelta:
    return timedelta(days=ctx.container.settings.attention_retention_days)


@api_route(
    bp,
    f"{V1}/programmes/{{programme_id}}/archive",
    "POST",
    summary="Archive a programme: no more signups, pairs closed, people scrubbed after the retention period",
    response=ArchiveOut,
    tag=TAG,
)
def archive_programme(ctx: ApiContext, programme_id: str) -> dict[str, Any]:
    container = ctx.container
    archive = archiving.archive_programme(
        container.storage,
        container.notifier,
        container.clock,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        archived_by=f"api key {ctx.key_id}",
        default_retention=_default_retention(ctx),
    )
    return archive.model_dump(mode="json", include=set(ArchiveOut.model_fields))


@api_route(
    bp,
    f"{V1}/programmes/{{programme_id}}/archive",
    "GET",
    summary="A programme's archive",
    response=ArchiveOut,
    tag=TAG,
)
def get_archive(ctx: ApiContext, programme_id: str) -> dict[str, Any]:
    archive = archiving.archive_of(ctx.container.storage, tenant_id=ctx.tenant_id, programme_id=programme_id)
    if archive is None:
        raise NotFound("the programme is not archived")
    return archive.model_dump(mode="json", include=set(ArchiveOut.model_fields))
