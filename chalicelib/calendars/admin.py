"""What coordinators do with connected calendars: list them with their state, connect an organisation grant, revoke.

A new connection has no watch yet and is due for renewal at once, so the next run of the
renewal job opens its channel or subscription. Revoking forgets every token at once.
"""

from __future__ import annotations

from chalicelib.calendars.sync import SOURCES
from chalicelib.clock import Clock
from chalicelib.domain.calendars import CalendarConnection, ConnectionState, Grant, Provider
from chalicelib.domain.webhook import Purpose
from chalicelib.errors import NotFound, ValidationFailed
from chalicelib.storage.repositories import Storage


def list_connections(storage: Storage, *, tenant_id: str, programme_id: str | None = None) -> list[CalendarConnection]:
    found = storage.calendars.list(tenant_id)
    return [c for c in found if programme_id is None or c.programme_id == programme_id]


def connect_organisation(
    storage: Storage,
    *,
    tenant_id: str,
    endpoint_id: str,
    provider: Provider,
    calendar_id: str,
    credentials_ref: str,
    clock: Clock,
) -> CalendarConnection:
    """Read ``calendar_id`` under an organisation-wide grant whose credentials Secrets Manager keeps.

    Raises
    ------
    NotFound
        No such endpoint for this tenant.
    ValidationFailed
        The endpoint is not a meetings endpoint of this provider's source.
    """
    endpoint = storage.endpoints.get(endpoint_id)
    if endpoint is None or endpoint.tenant_id != tenant_id:
        raise NotFound("no such webhook endpoint")
    if endpoint.source != SOURCES[provider] or endpoint.purpose is not Purpose.MEETINGS:
        raise ValidationFailed(f"a {provider.value} calendar needs a meetings endpoint of source {SOURCES[provider]}")
    now = clock.now()
    connection = CalendarConnection(
        tenant_id=tenant_id,
        programme_id=endpoint.programme_id,
        endpoint_id=endpoint_id,
        provider=provider,
        grant=Grant.ORGANISATION,
        calendar_id=calendar_id,
        credentials_ref=credentials_ref,
        state=ConnectionState.ACTIVE,
        renew_at=now,
        created_at=now,
        updated_at=now,
    )
    return storage.calendars.save(connection)


def revoke_connection(storage: Storage, *, tenant_id: str, connection_id: str, clock: Clock) -> CalendarConnection:
    connection = storage.calendars.get(tenant_id, connection_id)
    if connection is None:
        raise NotFound("no such calendar connection")
    if connection.state is not ConnectionState.REVOKED:
        connection.revoke("revoked by a coordinator", at=clock.now())
        connection = storage.calendars.save(connection)
    return connection
