"""Admin API v1 for HR and CRM sync: connect and configure a connector, run it now, read its last run.

Handlers act for the tenant of the bearer key; another tenant's connector answers 404.
A vendor failing answers 502 with our own description, and the same text is kept as the
connector's last run error; credentials are references and are shown as such.
"""

from __future__ import annotations

from datetime import timedelta

from chalice import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.http import ApiContext, api_route
from chalicelib.domain.sync import SyncConnector, SyncFigures
from chalicelib.registry import sync_tools
from chalicelib.sync import service

bp = Blueprint(__name__)
V1 = "/api/v1"
TAG = "sync"


class ConnectorList(BaseModel):
    items: list[SyncConnector]


class VendorSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str = Field(min_length=16, max_length=500, repr=False)
    grace_hours: int = Field(default=24, ge=0, le=24 * 30)


class EndpointSecretSet(BaseModel):
    endpoint_id: str
    source: str
    secrets: int


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full: bool = False


@api_route(
    bp,
    f"{V1}/connectors",
    "POST",
    summary="Connect an HR system or CRM: credentials by reference, field mapping, programme scopes",
    body=service.ConnectorSettings,
    response=SyncConnector,
    status=201,
    tag=TAG,
)
def create_connector(ctx: ApiContext, body: service.ConnectorSettings) -> SyncConnector:
    container = ctx.container
    return service.connect(
        container.storage, tenant_id=ctx.tenant_id, settings=body, clock=container.clock, stage=container.settings.stage
    )


@api_route(bp, f"{V1}/connectors", "GET", summary="List the tenant's connectors", response=ConnectorList, tag=TAG)
def list_connectors(ctx: ApiContext) -> ConnectorList:
    return ConnectorList(items=ctx.container.storage.connectors.list(ctx.tenant_id))


@api_route(
    bp,
    f"{V1}/connectors/{{connector_id}}",
    "GET",
    summary="Read a connector with its last run's figures and error",
    response=SyncConnector,
    tag=TAG,
)
def get_connector(ctx: ApiContext, connector_id: str) -> SyncConnector:
    return service.get_connector(ctx.container.storage, ctx.tenant_id, connector_id)


@api_route(
    bp,
    f"{V1}/connectors/{{connector_id}}",
    "PUT",
    summary="Replace a connector's settings (a new mapping or vendor starts a full sync)",
    body=service.ConnectorSettings,
    response=SyncConnector,
    tag=TAG,
)
def put_connector(ctx: ApiContext, body: service.ConnectorSettings, connector_id: str) -> SyncConnector:
    return service.configure(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        connector_id=connector_id,
        settings=body,
        clock=ctx.container.clock,
        stage=ctx.container.settings.stage,
    )


@api_route(bp, f"{V1}/connectors/{{connector_id}}", "DELETE", summary="Remove a connector", status=204, tag=TAG)
def delete_connector(ctx: ApiContext, connector_id: str) -> Response:
    service.delete_connector(ctx.container.storage, tenant_id=ctx.tenant_id, connector_id=connector_id)
    return Response(body="", status_code=204)


@api_route(
    bp,
    f"{V1}/connectors/{{connector_id}}/sync",
    "POST",
    summary="Run a connector now (a full sync with full=true) and return the run's figures",
    body=RunRequest,
    response=SyncFigures,
    tag=TAG,
)
def run_connector(ctx: ApiContext, body: RunRequest, connector_id: str) -> SyncFigures:
    container = ctx.container
    return service.sync_connector(
        container.storage,
        container.notifier,
        container.clock,
        tenant_id=ctx.tenant_id,
        connector_id=connector_id,
        tools=sync_tools(container),
        full=body.full,
    )


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}/vendor-secret",
    "PUT",
    summary="Verify a people endpoint with the signing key its HR vendor issued (the old key expires after a grace)",
    body=VendorSecret,
    response=EndpointSecretSet,
    tag=TAG,
)
def put_vendor_secret(ctx: ApiContext, body: VendorSecret, endpoint_id: str) -> EndpointSecretSet:
    endpoint = service.use_vendor_secret(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        endpoint_id=endpoint_id,
        secret=body.secret,
        grace=timedelta(hours=body.grace_hours),
        clock=ctx.container.clock,
    )
    valid = endpoint.valid_secrets(ctx.container.clock.now())
    return EndpointSecretSet(endpoint_id=endpoint.endpoint_id, source=endpoint.source, secrets=len(valid))
