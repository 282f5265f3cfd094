"""Calendar connections: the repository, the item layout (watch and renewal indexes), DynamoDB and the fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from datetime import datetime

from chalicelib.domain.calendars import CalendarConnection, ConnectionState
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, GSI2, TIME_RESOLUTION, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK
from chalicelib.storage.registry import register_entity


class CalendarConnectionRepository(ABC):
    @abstractmethod
    def save(self, connection: CalendarConnection) -> CalendarConnection: ...

    @abstractmethod
    def get(self, tenant_id: str, connection_id: str) -> CalendarConnection | None: ...

    @abstractmethod
    def list(self, tenant_id: str) -> builtins.list[CalendarConnection]:
        """Every connection of a tenant, by id."""

    @abstractmethod
    def by_watch(self, provider: str, watch_id: str) -> CalendarConnection | None:
        """The connection a Google channel or a Graph subscription belongs to (each push names only that)."""

    @abstractmethod
    def delete(self, connection: CalendarConnection) -> None:
        """Gone at once (a person's erasure); revoking keeps the record a while for the admin API."""

    @abstractmethod
    def due_for_renewal(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[CalendarConnection]:
        """Readable connections of every tenant whose watch must be renewed by now, soonest first."""


def calendar_connection_key(tenant_id: str, connection_id: str) -> dict[str, str]:
    return {PK: keys.tenant_pk(tenant_id), SK: keys.calendar_connection_sk(connection_id)}


def _renewable(connection: CalendarConnection) -> bool:
    return connection.readable and connection.renew_at is not None


@register_entity("calendar_connection", CalendarConnection)
def _connection_attributes(connection: CalendarConnection) -> dict[str, str]:
    attributes = calendar_connection_key(connection.tenant_id, connection.connection_id)
    if connection.watch_id and connection.state is not ConnectionState.REVOKED:
        attributes[GSI1PK] = keys.calendar_watch_gsi1(connection.provider.value, connection.watch_id)
        attributes[GSI1SK] = connection.connection_id
    if _renewable(connection):
        assert connection.renew_at is not None
        attributes[GSI2PK] = keys.CALENDAR_RENEWALS_GSI2
        attributes[GSI2SK] = keys.due_gsi_sk(connection.renew_at, connection.connection_id)
    return attributes


class DynamoCalendarConnections(DynamoRepository, CalendarConnectionRepository):
    """Calendar connections on DynamoDB: per tenant, by watch (pushes) and by renewal time (the renewal job)."""

    def save(self, connection: CalendarConnection) -> CalendarConnection:
        """Create (version 0) or update a connection; a revoked one leaves both indexes.

        Raises
        ------
        VersionConflict
            When the stored connection is not at ``connection.version``.
        """
        return self._save(connection)

    def get(self, tenant_id: str, connection_id: str) -> CalendarConnection | None:
        return self._get(calendar_connection_key(tenant_id, connection_id), CalendarConnection)

    def list(self, tenant_id: str) -> builtins.list[CalendarConnection]:
        return self._query(
            CalendarConnection,
            KeyConditionExpression=Key(PK).eq(keys.tenant_pk(tenant_id))
            & Key(SK).begins_with(keys.CALENDAR_CONNECTION_SK_PREFIX),
        )

    def by_watch(self, provider: str, watch_id: str) -> CalendarConnection | None:
        found = self._query(
            CalendarConnection,
            limit=1,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.calendar_watch_gsi1(provider, watch_id)),
        )
        return found[0] if found else None

    def delete(self, connection: CalendarConnection) -> None:
        self._delete(connection)

    def due_for_renewal(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[CalendarConnection]:
        if limit < 1:
            return []
        return self._query(
            CalendarConnection,
            limit=limit,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.CALENDAR_RENEWALS_GSI2)
            & Key(GSI2SK).lt(keys.due_gsi_sk(at_or_before + TIME_RESOLUTION)),
        )


class InMemoryCalendarConnections(CalendarConnectionRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str], CalendarConnection] = VersionedStore()

    def save(self, connection: CalendarConnection) -> CalendarConnection:
        return self.items.put_versioned((connection.tenant_id, connection.connection_id), connection)

    def get(self, tenant_id: str, connection_id: str) -> CalendarConnection | None:
        return self.items.read((tenant_id, connection_id))

    def list(self, tenant_id: str) -> builtins.list[CalendarConnection]:
        return self.items.select(lambda c: c.tenant_id == tenant_id, lambda c: c.connection_id)

    def by_watch(self, provider: str, watch_id: str) -> CalendarConnection | None:
        found = self.items.select(
            lambda c: (
                c.provider.value == provider and c.watch_id == watch_id and c.state is not ConnectionState.REVOKED
            ),
            lambda c: c.connection_id,
        )
        return found[0] if found else None

    def delete(self, connection: CalendarConnection) -> None:
        self.items.remove((connection.tenant_id, connection.connection_id))

    def due_for_renewal(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[CalendarConnection]:
        found = self.items.select(
            lambda c: _renewable(c) and c.renew_at is not None and c.renew_at <= at_or_before,
            lambda c: (c.renew_at, c.connection_id),
        )
        return found[: max(limit, 0)]
