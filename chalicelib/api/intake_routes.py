"""Admin API v1 for form intake: an endpoint's field mapping, and dry runs of stored deliveries.

Handlers act for the tenant of the bearer key; another tenant's endpoint answers 404.
A mapping that does not validate answers 400 naming the field (``role.constant: …``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from chalice import Blueprint
from pydantic import BaseModel

from chalicelib.api.http import ApiContext, api_route
from chalicelib.domain.forms.mapping import FieldMapping
from chalicelib.domain.webhook import Purpose
from chalicelib.intake import admin
from chalicelib.intake.processor import Preview

if TYPE_CHECKING:
    from chalicelib.domain.webhook import WebhookEndpoint

bp = Blueprint(__name__)
V1 = "/api/v1"
TAG = "endpoints"


class MappingOut(BaseModel):
    endpoint_id: str
    field_mapping: FieldMapping | None
    updated_at: datetime
    version: int


def _out(endpoint: WebhookEndpoint) -> MappingOut:
    return MappingOut(
        endpoint_id=endpoint.endpoint_id,
        field_mapping=endpoint.field_mapping,
        updated_at=endpoint.updated_at,
        version=endpoint.version,
    )


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}/mapping",
    "PUT",
    summary="Set how a form endpoint's answers fill the participant profile",
    body=FieldMapping,
    response=MappingOut,
    tag=TAG,
)
def put_mapping(ctx: ApiContext, body: FieldMapping, endpoint_id: str) -> MappingOut:
    endpoint = admin.set_mapping(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        endpoint_id=endpoint_id,
        mapping=body,
        clock=ctx.container.clock,
    )
    return _out(endpoint)


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}/mapping",
    "GET",
    summary="Read a form endpoint's field mapping",
    response=MappingOut,
    tag=TAG,
)
def get_mapping(ctx: ApiContext, endpoint_id: str) -> MappingOut:
    return _out(admin.get_mapping(ctx.container.storage, tenant_id=ctx.tenant_id, endpoint_id=endpoint_id))


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}/deliveries/{{delivery_id}}/preview",
    "GET",
    summary="Dry run: the profile, or the problems, the current mapping makes of a stored delivery",
    response=Preview,
    tag=TAG,
)
def preview_delivery(ctx: ApiContext, endpoint_id: str, delivery_id: str) -> Preview:
    return admin.preview_delivery(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        endpoint_id=endpoint_id,
        delivery_id=delivery_id,
        readers=ctx.container.sources.parsers(Purpose.SIGNUP),
    )


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}/deliveries/{{delivery_id}}/preview",
    "POST",
    summary="Dry run with a proposed mapping, before storing it",
    body=FieldMapping,
    response=Preview,
    tag=TAG,
)
def preview_delivery_with(ctx: ApiContext, body: FieldMapping, endpoint_id: str, delivery_id: str) -> Preview:
    return admin.preview_delivery(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        endpoint_id=endpoint_id,
        delivery_id=delivery_id,
        readers=ctx.container.sources.parsers(Purpose.SIGNUP),
        mapping=body,
    )


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}/deliveries/{{delivery_id}}/bind",
    "POST",
    summary="Bind the mapping to this form: record the key of each question its titles find in a stored delivery",
    response=MappingOut,
    tag=TAG,
)
def bind_mapping(ctx: ApiContext, endpoint_id: str, delivery_id: str) -> MappingOut:
    endpoint = admin.bind_to_delivery(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        endpoint_id=endpoint_id,
        delivery_id=delivery_id,
        readers=ctx.container.sources.parsers(Purpose.SIGNUP),
        clock=ctx.container.clock,
    )
    return _out(endpoint)
