"""Admin API v1 for people's data rights: export everything held about a person, or erase it; and retention.

The address travels in the body, never in the URL, so it stays out of access logs and
browser histories. All act for the tenant of the bearer key only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import ApiContext, api_route
from chalicelib.domain.tenant import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from chalicelib.errors import ValidationFailed
from chalicelib.services import privacy, tenants

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
    return privacy.export_person(ctx.container.storage, tenant_id=ctx.tenant_id, email=body.email)


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
    default = timedelta(days=ctx.container.settings.attention_retention_days)
    return RetentionOut(retention_days=tenants.retention(ctx.container.storage, ctx.tenant_id, default=default).days)


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
