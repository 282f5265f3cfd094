"""A stored type that exists only in tests, added by the recipe in ``chalicelib.storage``'s docstring.

Coordinator notes on a participant: kept per programme, listed by id, found through a
sparse index while pinned, removed by TTL after ``expires_at``, with a free-form
``extra`` field. It touches no file of ``chalicelib/storage``: its key formats sit here
instead of ``keys.py`` only because production key formats must not name test types.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field

from chalicelib.domain.common import DomainModel
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity
from chalicelib.storage.repositories import Storage, backends


class Note(DomainModel):
    """A coordinator's note on a participant."""

    tenant_id: str
    programme_id: str
    note_id: str
    participant_id: str
    text: str
    pinned: bool = False
    extra: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    expires_at: datetime | None = None


# Step 1 of the recipe: key formats (for a production type, functions and a table row in keys.py).
NOTE_SK_PREFIX = "RECIPE_NOTE#"


def note_sk(note_id: str) -> str:
    return f"{NOTE_SK_PREFIX}{note_id}"


def pinned_notes_gsi1(tenant_id: str, programme_id: str) -> str:
    return f"TENANT#{tenant_id}#PROGRAMME#{programme_id}#RECIPE_PINNED"


# Step 2: one module with the repository interface, the item layout, DynamoDB and the fake.
class NoteRepository(ABC):
    @abstractmethod
    def save(self, note: Note) -> Note: ...

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, note_id: str) -> Note | None: ...

    @abstractmethod
    def list(self, tenant_id: str, programme_id: str) -> list[Note]: ...

    @abstractmethod
    def pinned(self, tenant_id: str, programme_id: str) -> builtins.list[Note]: ...

    @abstractmethod
    def delete(self, note: Note) -> None: ...


def note_key(tenant_id: str, programme_id: str, note_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: note_sk(note_id)}


@register_entity("recipe_note", Note)
def _note_attributes(note: Note) -> dict[str, str]:
    attributes = note_key(note.tenant_id, note.programme_id, note.note_id)
    if note.pinned:
        attributes[GSI1PK] = pinned_notes_gsi1(note.tenant_id, note.programme_id)
        attributes[GSI1SK] = note.note_id
    return attributes


class DynamoNotes(DynamoRepository, NoteRepository):
    def save(self, note: Note) -> Note:
        return self._save(note)

    def get(self, tenant_id: str, programme_id: str, note_id: str) -> Note | None:
        return self._get(note_key(tenant_id, programme_id, note_id), Note)

    def list(self, tenant_id: str, programme_id: str) -> builtins.list[Note]:
        return self._query(
            Note,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(NOTE_SK_PREFIX),
            ConsistentRead=True,
        )

    def pinned(self, tenant_id: str, programme_id: str) -> builtins.list[Note]:
        return self._query(
            Note, IndexName=GSI1, KeyConditionExpression=Key(GSI1PK).eq(pinned_notes_gsi1(tenant_id, programme_id))
        )

    def delete(self, note: Note) -> None:
        self._delete(note)


class InMemoryNotes(NoteRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, str], Note] = VersionedStore()

    def save(self, note: Note) -> Note:
        return self.items.put_versioned((note.tenant_id, note.programme_id, note.note_id), note)

    def get(self, tenant_id: str, programme_id: str, note_id: str) -> Note | None:
        return self.items.read((tenant_id, programme_id, note_id))

    def list(self, tenant_id: str, programme_id: str) -> list[Note]:
        return self.items.select(
            lambda n: n.tenant_id == tenant_id and n.programme_id == programme_id, lambda n: n.note_id
        )

    def pinned(self, tenant_id: str, programme_id: str) -> builtins.list[Note]:
        return [note for note in self.list(tenant_id, programme_id) if note.pinned]

    def delete(self, note: Note) -> None:
        self.items.remove((note.tenant_id, note.programme_id, note.note_id))


# Step 3: one line in Storage (here a subclass, so production storage never sees the test type).
@dataclass
class NoteStorage(Storage):
    notes: NoteRepository = field(metadata=backends(DynamoNotes, InMemoryNotes))
