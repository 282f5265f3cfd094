"""Sync connectors: the repository, the item layout (nightly-sync index), DynamoDB and the in-memory fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod

from chalicelib.domain.sync import SyncConnector
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity


class SyncConnectorRepository(ABC):
    @abstractmethod
    def save(self, connector: SyncConnector) -> SyncConnector: ...

    @abstractmethod
    def get(self, tenant_id: str, connector_id: str) -> SyncConnector | None: ...

    @abstractmethod
    def list(self, tenant_id: str) -> builtins.list[SyncConnector]: ...

    @abstractmethod
    def enabled(self) -> builtins.list[SyncConnector]:
        """Every enabled connector of every tenant, for the nightly sync."""

    @abstractmethod
    def delete(self, connector: SyncConnector) -> None: ...


def connector_key(tenant_id: str, connector_id: str) -> dict[str, str]:
    return {PK: keys.tenant_pk(tenant_id), SK: keys.connector_sk(connector_id)}


@register_entity("sync_connector", SyncConnector)
def _connector_attributes(connector: SyncConnector) -> dict[str, str]:
    attributes = connector_key(connector.tenant_id, connector.connector_id)
    if connector.enabled:
        attributes[GSI1PK] = keys.SYNC_CONNECTORS_GSI1
        attributes[GSI1SK] = f"{connector.tenant_id}#{connector.connector_id}"
    return attributes


class DynamoSyncConnectors(DynamoRepository, SyncConnectorRepository):
    """Sync connectors on DynamoDB, in their tenant's partition and, while enabled, in the nightly index."""

    def save(self, connector: SyncConnector) -> SyncConnector:
        """Create (version 0) or update a connector.

        Raises
        ------
        VersionConflict
            When the stored connector is not at ``connector.version``.
        """
        return self._save(connector)

    def get(self, tenant_id: str, connector_id: str) -> SyncConnector | None:
        return self._get(connector_key(tenant_id, connector_id), SyncConnector)

    def list(self, tenant_id: str) -> builtins.list[SyncConnector]:
        return self._query(
            SyncConnector,
            KeyConditionExpression=Key(PK).eq(keys.tenant_pk(tenant_id))
            & Key(SK).begins_with(keys.CONNECTOR_SK_PREFIX),
            ConsistentRead=True,
        )

    def enabled(self) -> builtins.list[SyncConnector]:
        return self._query(
            SyncConnector, IndexName=GSI1, KeyConditionExpression=Key(GSI1PK).eq(keys.SYNC_CONNECTORS_GSI1)
        )

    def delete(self, connector: SyncConnector) -> None:
        self._delete(connector)


class InMemorySyncConnectors(SyncConnectorRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str], SyncConnector] = VersionedStore()

    def save(self, connector: SyncConnector) -> SyncConnector:
        return self.items.put_versioned((connector.tenant_id, connector.connector_id), connector)

    def get(self, tenant_id: str, connector_id: str) -> SyncConnector | None:
        return self.items.read((tenant_id, connector_id))

    def list(self, tenant_id: str) -> builtins.list[SyncConnector]:
        return self.items.select(lambda c: c.tenant_id == tenant_id, lambda c: c.connector_id)

    def enabled(self) -> builtins.list[SyncConnector]:
        return self.items.select(lambda c: c.enabled, lambda c: f"{c.tenant_id}#{c.connector_id}")

    def delete(self, connector: SyncConnector) -> None:
        self.items.remove((connector.tenant_id, connector.connector_id))
