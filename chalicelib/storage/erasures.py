"""Erasure records (tombstones): the repository, the item layout, DynamoDB and the in-memory fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod

from chalicelib.domain.erasure import Erasure
from chalicelib.storage import keys
from chalicelib.storage.base import DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import PK, SK
from chalicelib.storage.registry import register_entity


class ErasureRepository(ABC):
    @abstractmethod
    def record(self, erasure: Erasure) -> Erasure:
        """Store the tombstone, replacing an earlier erasure of the same subject (the newest counts)."""

    @abstractmethod
    def get(self, tenant_id: str, subject: str) -> Erasure | None: ...

    @abstractmethod
    def list(self, tenant_id: str) -> list[Erasure]: ...


def erasure_key(tenant_id: str, subject: str) -> dict[str, str]:
    return {PK: keys.tenant_pk(tenant_id), SK: keys.erasure_sk(subject)}


@register_entity("erasure", Erasure)
def _erasure_attributes(erasure: Erasure) -> dict[str, str]:
    return erasure_key(erasure.tenant_id, erasure.subject)


class DynamoErasures(DynamoRepository, ErasureRepository):
    """Tombstones in the tenant's partition, found by subject hash on every signup."""

    def record(self, erasure: Erasure) -> Erasure:
        stored = erasure.model_copy(update={"version": 1})
        # A tombstone is written whole and never read-modified: a second erasure only refreshes it.
        self._put_unconditionally(stored)
        return stored

    def get(self, tenant_id: str, subject: str) -> Erasure | None:
        return self._get(erasure_key(tenant_id, subject), Erasure)

    def list(self, tenant_id: str) -> builtins.list[Erasure]:
        return self._query(
            Erasure,
            KeyConditionExpression=Key(PK).eq(keys.tenant_pk(tenant_id)) & Key(SK).begins_with(keys.ERASURE_SK_PREFIX),
        )


class InMemoryErasures(ErasureRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str], Erasure] = VersionedStore()

    def record(self, erasure: Erasure) -> Erasure:
        stored = erasure.model_copy(update={"version": 1})
        with self.items.lock:
            self.items[(erasure.tenant_id, erasure.subject)] = stored
        return stored.model_copy()

    def get(self, tenant_id: str, subject: str) -> Erasure | None:
        return self.items.read((tenant_id, subject))

    def list(self, tenant_id: str) -> builtins.list[Erasure]:
        return self.items.select(lambda e: e.tenant_id == tenant_id, lambda e: e.subject)
