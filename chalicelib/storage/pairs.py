"""Pairs: the repository, the item layout (sparse due, awaiting-mentor and health indexes), DynamoDB and the fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from chalicelib.domain.meetings import HealthState
from chalicelib.domain.pair import OPEN_PAIR_STATUSES, Pair, PairStatus
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, GSI2, TIME_RESOLUTION, Attr, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK
from chalicelib.storage.registry import register_entity


class PairRepository(ABC):
    @abstractmethod
    def save(self, pair: Pair) -> Pair: ...

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, pair_id: str) -> Pair | None: ...

    @abstractmethod
    def list(self, tenant_id: str, programme_id: str, *, status: PairStatus | None = None) -> list[Pair]: ...

    @abstractmethod
    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        """Open pairs of every tenant whose ``next_due_at`` has come, oldest first."""

    @abstractmethod
    def by_health(self, tenant_id: str, programme_id: str, health: HealthState) -> builtins.list[Pair]:
        """Running pairs of a programme in one meeting-health state, by pair id."""

    @abstractmethod
    def awaiting_mentor(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        """Approved pairs of every tenant whose mentor had to accept by then (``accept_by``), earliest first."""


def pair_key(tenant_id: str, programme_id: str, pair_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.pair_sk(pair_id)}


@register_entity("pair", Pair)
def _pair_attributes(pair: Pair) -> dict[str, str]:
    attributes = pair_key(pair.tenant_id, pair.programme_id, pair.pair_id)
    if pair.status in OPEN_PAIR_STATUSES and pair.next_due_at is not None:
        attributes[GSI2PK] = keys.PAIRS_DUE_GSI2
        attributes[GSI2SK] = keys.pair_due_gsi2sk(pair.next_due_at, pair.pair_id)
    if pair.awaiting_mentor and pair.accept_by is not None:
        attributes[GSI1PK] = keys.PAIRS_AWAITING_MENTOR_GSI1
        attributes[GSI1SK] = keys.due_gsi_sk(pair.accept_by, pair.pair_id)
    elif pair.running and pair.health is not None:
        attributes[GSI1PK] = keys.pairs_by_health_gsi1(pair.tenant_id, pair.programme_id, pair.health.value)
        attributes[GSI1SK] = keys.pair_sk(pair.pair_id)
    return attributes


class DynamoPairs(DynamoRepository, PairRepository):
    """Pairs of programmes on DynamoDB, and the reminder sweep's due index."""

    def save(self, pair: Pair) -> Pair:
        """Create (version 0) or update a pair; it leaves the due index once closed.

        Raises
        ------
        VersionConflict
            When the stored pair is not at ``pair.version``.
        """
        return self._save(pair)

    def get(self, tenant_id: str, programme_id: str, pair_id: str) -> Pair | None:
        return self._get(pair_key(tenant_id, programme_id, pair_id), Pair)

    def list(self, tenant_id: str, programme_id: str, *, status: PairStatus | None = None) -> builtins.list[Pair]:
        query: dict[str, Any] = {
            "KeyConditionExpression": Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.PAIR_SK_PREFIX),
            "ConsistentRead": True,
        }
        if status is not None:
            query["FilterExpression"] = Attr("status").eq(status.value)
        return self._query(Pair, **query)

    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        if limit < 1:
            return []
        return self._query(
            Pair,
            limit=limit,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.PAIRS_DUE_GSI2)
            & Key(GSI2SK).lt(keys.due_gsi_sk(at_or_before + TIME_RESOLUTION)),
        )

    def by_health(self, tenant_id: str, programme_id: str, health: HealthState) -> builtins.list[Pair]:
        return self._query(
            Pair,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.pairs_by_health_gsi1(tenant_id, programme_id, health.value)),
        )

    def awaiting_mentor(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        if limit < 1:
            return []
        return self._query(
            Pair,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.PAIRS_AWAITING_MENTOR_GSI1)
            & Key(GSI1SK).lt(keys.due_gsi_sk(at_or_before + TIME_RESOLUTION)),
        )


class InMemoryPairs(PairRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, str], Pair] = VersionedStore()

    def save(self, pair: Pair) -> Pair:
        return self.items.put_versioned((pair.tenant_id, pair.programme_id, pair.pair_id), pair)

    def get(self, tenant_id: str, programme_id: str, pair_id: str) -> Pair | None:
        return self.items.read((tenant_id, programme_id, pair_id))

    def list(self, tenant_id: str, programme_id: str, *, status: PairStatus | None = None) -> list[Pair]:
        return self.items.select(
            lambda p: (
                p.tenant_id == tenant_id and p.programme_id == programme_id and (status is None or p.status == status)
            ),
            lambda p: p.pair_id,
        )

    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        chosen = self.items.select(
            lambda p: p.next_due_at is not None and p.status in OPEN_PAIR_STATUSES and p.next_due_at <= at_or_before,
            lambda p: (p.next_due_at, p.pair_id),
        )
        return chosen[:limit]

    def by_health(self, tenant_id: str, programme_id: str, health: HealthState) -> builtins.list[Pair]:
        return self.items.select(
            lambda p: p.tenant_id == tenant_id and p.programme_id == programme_id and p.running and p.health is health,
            lambda p: p.pair_id,
        )

    def awaiting_mentor(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        chosen = self.items.select(
            lambda p: p.awaiting_mentor and p.accept_by is not None and p.accept_by <= at_or_before,
            lambda p: (p.accept_by, p.pair_id),
        )
        return chosen[:limit]
