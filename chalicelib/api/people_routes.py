"""Admin API v1 for people's data rights: export everything held about a person, or erase it.

The address travels in the body, never in the URL, so it stays out of access logs and
browser histories. Both act for the tenant of the bearer key only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import ApiContext, api_route
from chalicelib.errors import ValidationFailed
from chalicelib.services import privacy

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
