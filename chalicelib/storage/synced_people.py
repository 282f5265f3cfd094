"""Synced people's fingerprints: the repository, the item layout, DynamoDB (batched writes) and the in-memory fake.

A fingerprint is a cache of what the last sync saw: writes are unconditional and
batched (a lost race costs one more comparison next time), and every item carries an
``expires_at`` that DynamoDB's TTL honours.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Iterable

from chalicelib.domain.sync import SyncedPerson
from chalicelib.storage import keys
from chalicelib.storage.base import DynamoRepository, Key
from chalicelib.storage.codec import PK, SK
from chalicelib.storage.registry import register_entity, to_item


class SyncedPersonRepository(ABC):
    @abstractmethod
    def get(self, tenant_id: str, connector_id: str, external_id: str) -> SyncedPerson | None: ...

    @abstractmethod
    def put_many(self, people: Iterable[SyncedPerson]) -> int:
        """Store each fingerprint as given (no version check), in batches; returns how many were written."""

    @abstractmethod
    def list(self, tenant_id: str, connector_id: str) -> builtins.list[SyncedPerson]: ...

    @abstractmethod
    def delete_all(self, tenant_id: str, connector_id: str) -> None:
        """Forget every fingerprint of a connector (the connector is deleted, or a full resync is wanted)."""


def synced_person_key(tenant_id: str, connector_id: str, external_id: str) -> dict[str, str]:
    return {PK: keys.synced_people_pk(tenant_id, connector_id), SK: keys.synced_person_sk(external_id)}


@register_entity("synced_person", SyncedPerson)
def _synced_person_attributes(person: SyncedPerson) -> dict[str, str]:
    return synced_person_key(person.tenant_id, person.connector_id, person.external_id)


class DynamoSyncedPeople(DynamoRepository, SyncedPersonRepository):
    def get(self, tenant_id: str, connector_id: str, external_id: str) -> SyncedPerson | None:
        return self._get(synced_person_key(tenant_id, connector_id, external_id), SyncedPerson)

    def put_many(self, people: Iterable[SyncedPerson]) -> int:
        written = 0
        # batch_writer groups puts by 25 and resends what DynamoDB leaves unprocessed.
        with self._table.batch_writer() as batch:
            for person in people:
                batch.put_item(Item=to_item(person))
                written += 1
        return written

    def list(self, tenant_id: str, connector_id: str) -> builtins.list[SyncedPerson]:
        return self._query(
            SyncedPerson,
            KeyConditionExpression=Key(PK).eq(keys.synced_people_pk(tenant_id, connector_id)),
            ConsistentRead=True,
        )

    def delete_all(self, tenant_id: str, connector_id: str) -> None:
        with self._table.batch_writer() as batch:
            for person in self.list(tenant_id, connector_id):
                batch.delete_item(Key=synced_person_key(tenant_id, connector_id, person.external_id))


class InMemorySyncedPeople(SyncedPersonRepository):
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], SyncedPerson] = {}

    def get(self, tenant_id: str, connector_id: str, external_id: str) -> SyncedPerson | None:
        found = self.items.get((tenant_id, connector_id, external_id))
        return None if found is None else found.model_copy(deep=True)

    def put_many(self, people: Iterable[SyncedPerson]) -> int:
        written = 0
        for person in people:
            self.items[(person.tenant_id, person.connector_id, person.external_id)] = person.model_copy(deep=True)
            written += 1
        return written

    def list(self, tenant_id: str, connector_id: str) -> builtins.list[SyncedPerson]:
        chosen = [p for (t, c, _), p in self.items.items() if t == tenant_id and c == connector_id]
        return [p.model_copy(deep=True) for p in sorted(chosen, key=lambda p: p.external_id)]

    def delete_all(self, tenant_id: str, connector_id: str) -> None:
        for key in [k for k in self.items if k[0] == tenant_id and k[1] == connector_id]:
            del self.items[key]
