"""What coordinators do with connected calendars: list them with their state, connect an organisation grant, revoke.

A new connection has no watch yet and is due for renewal at once, so the next run of the
renewal job opens its channel or subscription. Revoking stops the watch at the vendor, then
forgets every token; a watch the vendor would not stop is noted on the connection, and the
revocation completes all the same.
"""

from __future__ import annotations

from chalicelib.calendars.apis import CalendarApis
from chalicelib.calendars.renewal import stop_watch
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


REVOKED_BY_COORDINATOR = "revoked by a coordinator"


def revoke_connection(
    storage: Storage, *, tenant_id: str, connection_id: str, clock: Clock, apis: CalendarApis
) -> CalendarConnection:
    """Raises ``NotFound`` for a connection not of this tenant."""
    connection = storage.calendars.get(tenant_id, connection_id)
    if connection is None:
        raise NotFound("no such calendar connection")
    if connection.state is not ConnectionState.REVOKED:
        not_stopped = stop_watch(connection, apis, clock) if connection.readable else None
        reason = REVOKED_BY_COORDINATOR
        if not_stopped is not None:
            reason += f"; the vendor's watch was not stopped ({not_stopped}) and lapses by itself"
        connection.revoke(reason, at=clock.now())
        connection = storage.calendars.save(connection)
    return connection
