"""Programme archives: the repository, the item (a sparse index of those due for their scrub), DynamoDB and the fake.

An archive sits in the scrub index only until its programme's people are scrubbed.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from datetime import datetime

from chalicelib.domain.archive import ProgrammeArchive
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, TIME_RESOLUTION, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity


class ArchiveRepository(ABC):
    @abstractmethod
    def add(self, archive: ProgrammeArchive) -> bool:
        """Store the archive unless the programme has one. True if this call stored it."""

    @abstractmethod
    def save(self, archive: ProgrammeArchive) -> ProgrammeArchive:
        """Update an archive read at ``archive.version``; ``VersionConflict`` if it moved on."""

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str) -> ProgrammeArchive | None: ...

    @abstractmethod
    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[ProgrammeArchive]:
        """Archives of every tenant not yet scrubbed whose scrub time has come, oldest first."""


def archive_key(tenant_id: str, programme_id: str) -> dict[str, str]:
    return {PK: keys.tenant_pk(tenant_id), SK: keys.archive_sk(programme_id)}


@register_entity("programme_archive", ProgrammeArchive)
def _archive_attributes(archive: ProgrammeArchive) -> dict[str, str]:
    attributes = archive_key(archive.tenant_id, archive.programme_id)
    if archive.due:
        attributes[GSI1PK] = keys.ARCHIVES_DUE_GSI1
        attributes[GSI1SK] = keys.due_gsi_sk(archive.scrub_at, archive.tenant_id, archive.programme_id)
    return attributes


class DynamoArchives(DynamoRepository, ArchiveRepository):
    """Archives in the tenant's partition; the scrub job reads the sparse GSI1 partition, never the table."""

    def add(self, archive: ProgrammeArchive) -> bool:
        return self._add_once(archive)

    def save(self, archive: ProgrammeArchive) -> ProgrammeArchive:
        return self._save(archive)

    def get(self, tenant_id: str, programme_id: str) -> ProgrammeArchive | None:
        return self._get(archive_key(tenant_id, programme_id), ProgrammeArchive)

    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[ProgrammeArchive]:
        if limit < 1:
            return []
        return self._query(
            ProgrammeArchive,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.ARCHIVES_DUE_GSI1)
            & Key(GSI1SK).lt(keys.due_gsi_sk(at_or_before + TIME_RESOLUTION)),
        )


class InMemoryArchives(ArchiveRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str], ProgrammeArchive] = VersionedStore()

    def add(self, archive: ProgrammeArchive) -> bool:
        return self.items.put_new((archive.tenant_id, archive.programme_id), archive)

    def save(self, archive: ProgrammeArchive) -> ProgrammeArchive:
        return self.items.put_versioned((archive.tenant_id, archive.programme_id), archive)

    def get(self, tenant_id: str, programme_id: str) -> ProgrammeArchive | None:
        return self.items.read((tenant_id, programme_id))

    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[ProgrammeArchive]:
        chosen = self.items.select(
            lambda a: a.due and a.scrub_at <= at_or_before,
            lambda a: (a.scrub_at, a.tenant_id, a.programme_id),
        )
        return chosen[: max(limit, 0)]
