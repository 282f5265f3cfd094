"""Admin API v1: tenants' keys, programmes, participants, webhook endpoints and their deliveries.

Every handler acts for the tenant of the bearer key (``ctx.tenant_id``); an object of
another tenant answers 404 exactly like a missing one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api import schemas as s
from chalicelib.api.http import ApiContext, api_route, json_response
from chalicelib.api.openapi import openapi_document
from chalicelib.container import get_container
from chalicelib.domain.participant import Participant
from chalicelib.domain.programme import Programme
from chalicelib.errors import Conflict
from chalicelib.services import endpoints as endpoint_service
from chalicelib.services import inbox
from chalicelib.services import participants as participant_service
from chalicelib.services import programmes as programme_service
from chalicelib.services import tenants as tenant_service

bp = Blueprint(__name__)
V1 = "/api/v1"


@api_route(bp, f"{V1}/openapi.json", "GET", summary="This API's OpenAPI 3 document", authenticated=False, tag="meta")
def get_openapi() -> Response:
    return json_response(openapi_document(tuple(get_container().sources.specs)))


@api_route(bp, f"{V1}/tenant", "GET", summary="The tenant the key acts for", response=s.TenantOut, tag="tenant")
def get_tenant(ctx: ApiContext) -> s.TenantOut:
    tenant = ctx.container.storage.tenants.get(ctx.tenant_id)
    return s.TenantOut(tenant_id=ctx.tenant_id, name=tenant.name if tenant else "", key_id=ctx.key_id)


# --- API keys -----------------------------------------------------------------------------------


def _key_out(key: Any) -> s.ApiKeyOut:
    return s.ApiKeyOut.model_validate(key.model_dump(include=set(s.ApiKeyOut.model_fields)))


@api_route(bp, f"{V1}/keys", "GET", summary="List API keys (never their secrets)", response=s.ApiKeyList, tag="keys")
def list_keys(ctx: ApiContext) -> s.ApiKeyList:
    keys = tenant_service.list_keys(ctx.container.storage, ctx.tenant_id)
    return s.ApiKeyList(items=[_key_out(k) for k in keys])


@api_route(
    bp,
    f"{V1}/keys",
    "POST",
    summary="Create an API key; its secret is shown once",
    body=s.ApiKeyCreate,
    response=s.ApiKeyIssued,
    status=201,
    tag="keys",
)
def create_key(ctx: ApiContext, body: s.ApiKeyCreate) -> s.ApiKeyIssued:
    issued = tenant_service.create_key(
        ctx.container.storage, tenant_id=ctx.tenant_id, name=body.name, clock=ctx.container.clock
    )
    return s.ApiKeyIssued(key=_key_out(issued.key), secret=issued.secret)


@api_route(bp, f"{V1}/keys/{{key_id}}", "DELETE", summary="Revoke an API key", response=s.ApiKeyOut, tag="keys")
def revoke_key(ctx: ApiContext, key_id: str) -> s.ApiKeyOut:
    if key_id == ctx.key_id:
        # Revoking the key in use would lock the caller out mid-session; revoke it with another key.
        raise Conflict("this is the key this request is made with; revoke it using another key")
    key = tenant_service.revoke_key(
        ctx.container.storage, tenant_id=ctx.tenant_id, key_id=key_id, clock=ctx.container.clock
    )
    return _key_out(key)


# --- Programmes ---------------------------------------------------------------------------------


@api_route(bp, f"{V1}/programmes", "GET", summary="List programmes", response=s.ProgrammeList, tag="programmes")
def list_programmes(ctx: ApiContext) -> s.ProgrammeList:
    return s.ProgrammeList(items=ctx.container.storage.programmes.list(ctx.tenant_id))


@api_route(
    bp,
    f"{V1}/programmes",
    "POST",
    summary="Create a programme",
    body=s.ProgrammeCreate,
    response=Programme,
    status=201,
    tag="programmes",
)
def create_programme(ctx: ApiContext, body: Any) -> Programme:
    return programme_service.create_programme(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        fields=body.model_dump(exclude_unset=True),
        clock=ctx.container.clock,
    )


@api_route(
    bp,
    f"{V1}/programmes/{{programme_id}}",
    "GET",
    summary="Read a programme",
    response=Programme,
    tag="programmes",
)
def get_programme(ctx: ApiContext, programme_id: str) -> Programme:
    return programme_service.get_programme(ctx.container.storage, ctx.tenant_id, programme_id)


@api_route(
    bp,
    f"{V1}/programmes/{{programme_id}}",
    "PATCH",
    summary="Update a programme (send the version you read)",
    body=s.ProgrammeUpdate,
    response=Programme,
    tag="programmes",
)
def update_programme(ctx: ApiContext, body: Any, programme_id: str) -> Programme:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version", None)
    return programme_service.update_programme(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        changes=changes,
        expected_version=version,
        clock=ctx.container.clock,
    )


# --- Participants -------------------------------------------------------------------------------


@api_route(
    bp,
    f"{V1}/programmes/{{programme_id}}/participants",
    "GET",
    summary="List participants, filtered by status or role, paged with a cursor",
    query=s.ParticipantQuery,
    response=participant_service.ParticipantPage,
    tag="participants",
)
def list_participants(ctx: ApiContext, query: s.ParticipantQuery, programme_id: str) -> Any:
    return participant_service.list_participants(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        status=query.status,
        role=query.role,
        limit=query.limit,
        cursor=query.cursor,
    )


@api_route(
    bp,
    f"{V1}/programmes/{{programme_id}}/participants",
    "POST",
    summary="Enrol a participant by hand (forms and HR sync do this automatically)",
    body=s.ParticipantCreate,
    response=Participant,
    status=201,
    tag="participants",
)
def create_participant(ctx: ApiContext, body: s.ParticipantCreate, programme_id: str) -> Participant:
    return participant_service.enrol(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        profile=body.profile,
        clock=ctx.container.clock,
        notifier=ctx.container.notifier,
    )


@api_route(
    bp,
    f"{V1}/programmes/{{programme_id}}/participants/{{participant_id}}",
    "GET",
    summary="Read a participant",
    response=Participant,
    tag="participants",
)
def get_participant(ctx: ApiContext, programme_id: str, participant_id: str) -> Participant:
    return participant_service.get_participant(ctx.container.storage, ctx.tenant_id, programme_id, participant_id)


@api_route(
    bp,
    f"{V1}/programmes/{{programme_id}}/participants/{{participant_id}}",
    "PATCH",
    summary="Update a participant's profile or priority (send the version you read)",
    body=s.ParticipantUpdate,
    response=Participant,
    tag="participants",
)
def update_participant(
    ctx: ApiContext, body: s.ParticipantUpdate, programme_id: str, participant_id: str
) -> Participant:
    profile_changes: dict[str, Any] = body.profile.model_dump(exclude_unset=True) if body.profile is not None else {}
    return participant_service.update_participant(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        participant_id=participant_id,
        profile_changes=profile_changes,
        priority=body.priority,
        expected_version=body.version,
        clock=ctx.container.clock,
    )


@api_route(
    bp,
    f"{V1}/programmes/{{programme_id}}/participants/{{participant_id}}/withdraw",
    "POST",
    summary="Withdraw a participant, with a reason",
    body=s.WithdrawRequest,
    response=Participant,
    tag="participants",
)
def withdraw_participant(
    ctx: ApiContext, body: s.WithdrawRequest, programme_id: str, participant_id: str
) -> Participant:
    return participant_service.withdraw(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        programme_id=programme_id,
        participant_id=participant_id,
        reason=body.reason,
        expected_version=body.version,
        clock=ctx.container.clock,
        notifier=ctx.container.notifier,
    )


# --- Webhook endpoints and deliveries -----------------------------------------------------------


def _endpoint_out(ctx: ApiContext, endpoint: Any) -> s.EndpointOut:
    url = endpoint_service.endpoint_url(ctx.base_url, endpoint, sources=ctx.container.sources)
    return s.EndpointOut.of(endpoint, url, ctx.container.clock.now())


@api_route(
    bp,
    f"{V1}/endpoints",
    "GET",
    summary="List webhook endpoints (never their secrets)",
    response=s.EndpointList,
    tag="endpoints",
)
def list_endpoints(ctx: ApiContext) -> s.EndpointList:
    items = ctx.container.storage.endpoints.list(ctx.tenant_id)
    return s.EndpointList(items=[_endpoint_out(ctx, e) for e in items])


@api_route(
    bp,
    f"{V1}/endpoints",
    "POST",
    summary="Create a webhook endpoint; its URL and secret are shown once",
    body=s.EndpointCreate,
    response=s.EndpointIssued,
    status=201,
    tag="endpoints",
)
def create_endpoint(ctx: ApiContext, body: s.EndpointCreate) -> s.EndpointIssued:
    issued = endpoint_service.create_endpoint(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        programme_id=body.programme_id,
        source=body.source,
        purpose=body.purpose,
        sources=ctx.container.sources,
        description=body.description,
        base_url=ctx.base_url,
        clock=ctx.container.clock,
    )
    return s.EndpointIssued(endpoint=_endpoint_out(ctx, issued.endpoint), url=issued.url, secret=issued.secret)


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}",
    "GET",
    summary="Read a webhook endpoint",
    response=s.EndpointOut,
    tag="endpoints",
)
def get_endpoint(ctx: ApiContext, endpoint_id: str) -> s.EndpointOut:
    return _endpoint_out(ctx, endpoint_service.get_endpoint(ctx.container.storage, ctx.tenant_id, endpoint_id))


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}/rotate",
    "POST",
    summary="Rotate the secret; the old one stays valid for a grace period",
    body=s.RotateRequest,
    response=s.EndpointIssued,
    tag="endpoints",
)
def rotate_endpoint_secret(ctx: ApiContext, body: s.RotateRequest, endpoint_id: str) -> s.EndpointIssued:
    hours = body.grace_hours if body.grace_hours is not None else ctx.container.settings.secret_rotation_grace_hours
    issued = endpoint_service.rotate_secret(
        ctx.container.storage,
        tenant_id=ctx.tenant_id,
        endpoint_id=endpoint_id,
        grace=timedelta(hours=hours),
        base_url=ctx.base_url,
        clock=ctx.container.clock,
        sources=ctx.container.sources,
    )
    return s.EndpointIssued(endpoint=_endpoint_out(ctx, issued.endpoint), url=issued.url, secret=issued.secret)


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}",
    "DELETE",
    summary="Delete a webhook endpoint",
    response=s.Deleted,
    tag="endpoints",
)
def delete_endpoint(ctx: ApiContext, endpoint_id: str) -> s.Deleted:
    endpoint_service.delete_endpoint(ctx.container.storage, tenant_id=ctx.tenant_id, endpoint_id=endpoint_id)
    return s.Deleted()


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}/deliveries",
    "GET",
    summary="List an endpoint's deliveries, e.g. those that need attention, with their reasons",
    query=s.DeliveryQuery,
    response=s.DeliveryList,
    tag="endpoints",
)
def list_deliveries(ctx: ApiContext, query: s.DeliveryQuery, endpoint_id: str) -> s.DeliveryList:
    endpoint = endpoint_service.get_endpoint(ctx.container.storage, ctx.tenant_id, endpoint_id)
    items = ctx.container.storage.deliveries.for_endpoint(endpoint.endpoint_id, state=query.state, limit=query.limit)
    return s.DeliveryList(items=[s.DeliveryOut.of(d) for d in items])


@api_route(
    bp,
    f"{V1}/endpoints/{{endpoint_id}}/deliveries/{{delivery_id}}/replay",
    "POST",
    summary="Process a stored delivery again (after fixing a mapping, or a parked one)",
    response=s.DeliveryOut,
    tag="endpoints",
)
def replay_delivery(ctx: ApiContext, endpoint_id: str, delivery_id: str) -> s.DeliveryOut:
    container = ctx.container
    endpoint = endpoint_service.get_endpoint(container.storage, ctx.tenant_id, endpoint_id)
    delivery = inbox.replay(
        endpoint=endpoint,
        delivery_id=delivery_id,
        specs=container.sources,
        ctx=container.processing,
        policy=container.inbox_policy,
    )
    return s.DeliveryOut.of(delivery)
