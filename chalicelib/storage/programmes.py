"""Programmes: the repository, the item layout (sparse matching-date index), DynamoDB and the in-memory fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from datetime import datetime

from chalicelib.domain.programme import Programme, ProgrammeStatus
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, GSI2, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK
from chalicelib.storage.registry import register_entity


class ProgrammeRepository(ABC):
    @abstractmethod
    def save(self, programme: Programme) -> Programme: ...

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str) -> Programme | None: ...

    @abstractmethod
    def list(self, tenant_id: str) -> list[Programme]: ...

    @abstractmethod
    def due_for_matching(self, on_or_before: datetime) -> builtins.list[Programme]:
        """Programmes of every tenant whose matching date has come (scheduled matching)."""

    @abstractmethod
    def coordinated(self) -> builtins.list[Programme]:
        """Programmes of every tenant, not closed, that name coordinators (the daily digest)."""


def programme_key(tenant_id: str, programme_id: str) -> dict[str, str]:
    return {PK: keys.tenant_pk(tenant_id), SK: keys.programme_sk(programme_id)}


@register_entity("programme", Programme)
def _programme_attributes(programme: Programme) -> dict[str, str]:
    attributes = programme_key(programme.tenant_id, programme.programme_id)
    if programme.matching_date is not None:
        attributes[GSI2PK] = keys.MATCHING_DATE_GSI2
        attributes[GSI2SK] = keys.matching_date_gsi2sk(
            programme.matching_date, programme.tenant_id, programme.programme_id
        )
    if programme.coordinators and programme.status is not ProgrammeStatus.CLOSED:
        attributes[GSI1PK] = keys.COORDINATED_GSI1
        attributes[GSI1SK] = keys.coordinated_gsi1sk(programme.tenant_id, programme.programme_id)
    return attributes


class DynamoProgrammes(DynamoRepository, ProgrammeRepository):
    """Programmes on DynamoDB, listed per tenant and found by matching date."""

    def save(self, programme: Programme) -> Programme:
        """Create (version 0) or update a programme.

        Raises
        ------
        VersionConflict
            When the stored programme is not at ``programme.version``.
        """
        return self._save(programme)

    def get(self, tenant_id: str, programme_id: str) -> Programme | None:
        return self._get(programme_key(tenant_id, programme_id), Programme)

    def list(self, tenant_id: str) -> builtins.list[Programme]:
        return self._query(
            Programme,
            KeyConditionExpression=Key(PK).eq(keys.tenant_pk(tenant_id))
            & Key(SK).begins_with(keys.PROGRAMME_SK_PREFIX),
            ConsistentRead=True,
        )

    def due_for_matching(self, on_or_before: datetime) -> builtins.list[Programme]:
        return self._query(
            Programme,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.MATCHING_DATE_GSI2)
            & Key(GSI2SK).lt(keys.matching_date_upper_bound(on_or_before.date())),
        )

    def coordinated(self) -> builtins.list[Programme]:
        return self._query(Programme, IndexName=GSI1, KeyConditionExpression=Key(GSI1PK).eq(keys.COORDINATED_GSI1))


class InMemoryProgrammes(ProgrammeRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str], Programme] = VersionedStore()

    def save(self, programme: Programme) -> Programme:
        return self.items.put_versioned((programme.tenant_id, programme.programme_id), programme)

    def get(self, tenant_id: str, programme_id: str) -> Programme | None:
        return self.items.read((tenant_id, programme_id))

    def list(self, tenant_id: str) -> list[Programme]:
        return self.items.select(lambda p: p.tenant_id == tenant_id, lambda p: p.programme_id)

    def due_for_matching(self, on_or_before: datetime) -> builtins.list[Programme]:
        day = on_or_before.date()
        return self.items.select(
            lambda p: p.matching_date is not None and p.matching_date <= day,
            lambda p: (p.matching_date, p.tenant_id, p.programme_id),
        )

    def coordinated(self) -> builtins.list[Programme]:
        return self.items.select(
            lambda p: bool(p.coordinators) and p.status is not ProgrammeStatus.CLOSED,
            lambda p: (p.tenant_id, p.programme_id),
        )
