"""Tenants and their API keys: bootstrap, create, list, revoke, authenticate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalicelib.clock import Clock
from chalicelib.domain.tenant import (
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    ApiKey,
    Tenant,
    generate_api_key,
    hash_api_key,
)
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.services.concurrency import update_with_retry
from chalicelib.storage.offboarding import purge_tenant
from chalicelib.storage.repositories import Storage

_BOUNDS = f"{MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS} days"


@dataclass(frozen=True)
class IssuedKey:
    """A freshly created key: ``secret`` exists only here and is shown once."""

    key: ApiKey
    secret: str


def bootstrap_tenant(
    storage: Storage, *, name: str, clock: Clock, key_name: str = "bootstrap"
) -> tuple[Tenant, IssuedKey]:
    """Create a tenant and its first API key (the operator CLI's ``bootstrap``)."""
    tenant = storage.tenants.add(Tenant(name=name, created_at=clock.now()))
    return tenant, create_key(storage, tenant_id=tenant.tenant_id, name=key_name, clock=clock)


def create_key(storage: Storage, *, tenant_id: str, name: str, clock: Clock) -> IssuedKey:
    secret = generate_api_key()
    key = ApiKey(
        tenant_id=tenant_id,
        name=name,
        key_hash=hash_api_key(secret),
        display_prefix=secret[:7],
        created_at=clock.now(),
    )
    return IssuedKey(key=storage.tenants.add_key(key), secret=secret)


def list_keys(storage: Storage, tenant_id: str) -> list[ApiKey]:
    return storage.tenants.list_keys(tenant_id)


def revoke_key(storage: Storage, *, tenant_id: str, key_id: str, clock: Clock) -> ApiKey:
    """Revoke one of the tenant's keys; another tenant's key id is not found."""
    for key in storage.tenants.list_keys(tenant_id):
        if key.key_id == key_id:
            if key.revoked_at is not None:
                return key
            key.revoked_at = clock.now()
            return storage.tenants.save_key(key)
    raise NotFound("no such API key")


def offboard_tenant(storage: Storage, *, tenant_id: str) -> int:
    """Delete everything of a tenant, its API keys first; how many items went.

    Raises
    ------
    NotFound
        No such tenant.
    """
    if storage.tenants.get(tenant_id) is None:
        raise NotFound("no such tenant")
    return purge_tenant(storage, tenant_id)


def set_retention(storage: Storage, *, tenant_id: str, retention_days: int) -> Tenant:
    """Set how many days the tenant's parked submissions and archived programmes keep personal data.

    Applies to what is parked or archived from now on; what is stored keeps the end it was given.

    Raises
    ------
    NotFound
        No such tenant.
    ValidationFailed
        ``retention_days`` is outside the allowed range.
    """

    def change(tenant: Tenant) -> Tenant:
        try:
            return Tenant.model_validate(tenant.model_dump() | {"retention_days": retention_days})
        except ValueError as exc:
            raise ValidationFailed(f"retention_days: must be between {_BOUNDS}") from exc

    return update_with_retry(
        lambda: get_tenant(storage, tenant_id),
        change,
        storage.tenants.save,
        message="the tenant kept changing; try again",
    )


def get_tenant(storage: Storage, tenant_id: str) -> Tenant:
    """The tenant; ``NotFound`` when there is none."""
    tenant = storage.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound("no such tenant")
    return tenant


def retention(storage: Storage, tenant_id: str, *, default: timedelta) -> timedelta:
    """The tenant's retention period, or the deployment's ``default`` where it set none (or is gone)."""
    tenant = storage.tenants.get(tenant_id)
    if tenant is None or tenant.retention_days is None:
        return default
    return timedelta(days=tenant.retention_days)
