"""Request and response models of the admin API v1.

Input models are derived from the domain models (one source of truth for field rules)
minus what the server owns: ids, tenant, timestamps, history. All reject unknown fields,
so a typo in a field name is a 400 that names it rather than a silent no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from chalicelib.domain.common import HumanText
from chalicelib.domain.participant import ParticipantStatus, Profile, Role
from chalicelib.domain.programme import Programme
from chalicelib.domain.webhook import SOURCE_NAME, Delivery, DeliveryState, Purpose, WebhookEndpoint

STRICT = ConfigDict(extra="forbid")


def derived_model(
    name: str,
    source: type[BaseModel],
    *,
    exclude: set[str],
    optional: bool,
    extra: dict[str, Any] | None = None,
) -> type[BaseModel]:
    """A model with ``source``'s fields and validators' field rules, minus ``exclude``; optionally all optional."""
    fields: dict[str, Any] = {}
    for field_name, info in source.model_fields.items():
        if field_name in exclude:
            continue
        if optional:
            fields[field_name] = (
                Optional[info.annotation],  # noqa: UP045 - built at run time from a type object
                Field(default=None, description=info.description),
            )
        else:
            fields[field_name] = (info.annotation, info)
    fields.update(extra or {})
    return create_model(name, __config__=STRICT, **fields)


_SERVER_OWNED = {"tenant_id", "programme_id", "version", "created_at", "updated_at", "status"}

ProgrammeCreate = derived_model("ProgrammeCreate", Programme, exclude=_SERVER_OWNED - {"status"}, optional=False)
ProgrammeUpdate = derived_model(
    "ProgrammeUpdate",
    Programme,
    exclude=_SERVER_OWNED - {"status"},
    optional=True,
    extra={"version": (int | None, Field(default=None, description="The version you read; a stale one is 409."))},
)


class ProgrammeList(BaseModel):
    items: list[Programme]


ProfileUpdate = derived_model(
    "ProfileUpdate",
    Profile,
    exclude={"email", "role"},
    optional=True,
)


class ParticipantCreate(BaseModel):
    model_config = STRICT

    profile: Profile


class ParticipantUpdate(BaseModel):
    """Changes to a participant; e-mail and role are fixed (withdraw and enrol again to change them)."""

    model_config = STRICT

    profile: ProfileUpdate | None = None  # type: ignore[valid-type]
    priority: int | None = Field(default=None, ge=0)
    version: int | None = Field(default=None, description="The version you read; a stale one is 409.")


class WithdrawRequest(BaseModel):
    model_config = STRICT

    reason: HumanText = Field(min_length=1, max_length=500)
    version: int | None = None


class ParticipantQuery(BaseModel):
    model_config = STRICT

    status: ParticipantStatus | None = None
    role: Role | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=2000)


class EndpointCreate(BaseModel):
    model_config = STRICT

    programme_id: str = Field(min_length=1, max_length=100)
    # The names there are come from the registered sources (the OpenAPI document lists them);
    # the service refuses others with the list.
    source: str = Field(min_length=1, max_length=40, pattern=SOURCE_NAME)
    purpose: Purpose = Purpose.SIGNUP
    description: str | None = Field(default=None, max_length=200)


class EndpointOut(BaseModel):
    """An endpoint as the API shows it: never its secrets."""

    endpoint_id: str
    programme_id: str
    source: str
    purpose: Purpose
    description: str | None
    url: str
    secrets_valid: int
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, url: str, at: datetime) -> EndpointOut:
        return cls(
            endpoint_id=endpoint.endpoint_id,
            programme_id=endpoint.programme_id,
            source=endpoint.source,
            purpose=endpoint.purpose,
            description=endpoint.description,
            url=url,
            secrets_valid=len(endpoint.valid_secrets(at)),
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
            version=endpoint.version,
        )


class EndpointIssued(BaseModel):
    """Returned once, on creation and rotation: the only time the secret is shown."""

    endpoint: EndpointOut
    url: str
    secret: str


class EndpointList(BaseModel):
    items: list[EndpointOut]


class RotateRequest(BaseModel):
    model_config = STRICT

    grace_hours: int | None = Field(default=None, ge=0, le=24 * 30)


class ApiKeyCreate(BaseModel):
    model_config = STRICT

    name: HumanText = Field(min_length=1, max_length=100)


class ApiKeyOut(BaseModel):
    key_id: str
    name: str
    display_prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyIssued(BaseModel):
    key: ApiKeyOut
    secret: str


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class DeliveryQuery(BaseModel):
    model_config = STRICT

    state: DeliveryState | None = None
    limit: int = Field(default=50, ge=1, le=500)


class DeliveryOut(BaseModel):
    """A delivery without its raw body or headers."""

    delivery_id: str
    endpoint_id: str
    source: str
    state: DeliveryState
    attempts: int
    last_error: str | None
    result: dict[str, Any] | None
    received_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None
    body_kept: bool

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(
            delivery_id=delivery.delivery_id,
            endpoint_id=delivery.endpoint_id,
            source=delivery.source,
            state=delivery.state,
            attempts=delivery.attempts,
            last_error=delivery.last_error,
            result=delivery.result,
            received_at=delivery.received_at,
            updated_at=delivery.updated_at,
            next_attempt_at=delivery.next_attempt_at,
            body_kept=delivery.body is not None,
        )


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


class TenantOut(BaseModel):
    tenant_id: str
    name: str
    key_id: str


class Deleted(BaseModel):
    deleted: Literal[True] = True
