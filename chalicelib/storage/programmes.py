"""Programmes: the repository, the item layout (sparse matching-date index), DynamoDB, the in-memory fake, a cache.

``CachedProgrammes`` keeps programmes read for a short while in a warm process, for
``recent``: every meeting notification of a pair needs its programme's health rules
(cadence, escalation, reminders), which rarely change. A save through the same process
forgets the programme at once; another process (another warm Lambda) may go on using what
it read for up to ``PROGRAMME_CACHE_TTL``, so a changed cadence or reminder setting takes
effect on meeting notifications everywhere within that time (the health job reads afresh).
"""

from __future__ import annotations

import builtins
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta

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

    def recent(self, tenant_id: str, programme_id: str) -> Programme | None:
        """Like ``get``, but a programme read moments ago may be answered again (``CachedProgrammes``)."""
        return self.get(tenant_id, programme_id)

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


PROGRAMME_CACHE_TTL = timedelta(seconds=30)


class CachedProgrammes(ProgrammeRepository):
    """A programme repository whose ``recent`` answers from what it read in the last ``ttl``.

    ``get`` always reads (and refreshes the cache), so admin reads and versioned updates see
    the stored programme; ``save`` forgets it. A programme that does not exist is not cached.
    """

    def __init__(
        self,
        inner: ProgrammeRepository,
        *,
        ttl: timedelta = PROGRAMME_CACHE_TTL,
        monotonic: Callable[[], float] = time.monotonic,
        _kept: dict[tuple[str, str], tuple[float, Programme]] | None = None,
    ) -> None:
        self.inner = inner
        self._ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, str], tuple[float, Programme]] = {} if _kept is None else _kept

    def over(self, inner: ProgrammeRepository) -> CachedProgrammes:
        """The same cache in front of another repository (a unit of work's view of the same table)."""
        return CachedProgrammes(inner, ttl=self._ttl, monotonic=self._monotonic, _kept=self._kept)

    def save(self, programme: Programme) -> Programme:
        try:
            return self.inner.save(programme)
        finally:
            with self._lock:
                self._kept.pop((programme.tenant_id, programme.programme_id), None)

    def get(self, tenant_id: str, programme_id: str) -> Programme | None:
        found = self.inner.get(tenant_id, programme_id)
        with self._lock:
            if found is None:
                self._kept.pop((tenant_id, programme_id), None)
            else:
                self._kept[(tenant_id, programme_id)] = (self._monotonic() + self._ttl.total_seconds(), found)
        return None if found is None else found.model_copy(deep=True)

    def recent(self, tenant_id: str, programme_id: str) -> Programme | None:
        with self._lock:
            kept = self._kept.get((tenant_id, programme_id))
        if kept is not None and kept[0] > self._monotonic():
            return kept[1].model_copy(deep=True)
        return self.get(tenant_id, programme_id)

    def list(self, tenant_id: str) -> builtins.list[Programme]:
        return self.inner.list(tenant_id)

    def due_for_matching(self, on_or_before: datetime) -> builtins.list[Programme]:
        return self.inner.due_for_matching(on_or_before)

    def coordinated(self) -> builtins.list[Programme]:
        return self.inner.coordinated()
