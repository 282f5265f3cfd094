"""Contract of a stored type added from outside ``chalicelib/storage`` by the recipe alone (``tests/support/notes``).

It runs on the fake, moto and DynamoDB Local like every production type, through the same
``backend`` fixture, with a ``Storage`` subclass that has one line more.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.domain.common import DomainModel
from chalicelib.errors import VersionConflict
from chalicelib.storage.registry import register_entity
from tests.support.builders import BELGRADE, T0, at
from tests.support.compare import differences
from tests.support.notes import Note, NoteRepository, NoteStorage, note_key

if TYPE_CHECKING:
    from tests.contract.conftest import Backend


@pytest.fixture
def storage_class() -> type[NoteStorage]:
    return NoteStorage


@pytest.fixture
def notes(backend: Backend) -> NoteRepository:
    assert isinstance(backend.storage, NoteStorage)
    return backend.storage.notes


def note(note_id: str, **fields: Any) -> Note:
    return Note(
        **{
            "tenant_id": "ten_a",
            "programme_id": "prg_1",
            "note_id": note_id,
            "participant_id": "par_1",
            "text": "Razgovor s Ærø – Čiurlionytė",
            "created_at": T0,
            **fields,
        }
    )


def test_a_saved_note_reads_back_with_its_free_form_field_and_expiry(notes: NoteRepository) -> None:
    # GIVEN a note with free-form numbers of both kinds and an expiry in local time
    new = note(
        "note_1",
        extra={"score": 4, "ratio": 0.1 + 0.2, "tags": ["vođenje"]},
        expires_at=at(90).astimezone(BELGRADE),
    )

    # WHEN it is saved and read back
    notes.save(new)
    stored = notes.get("ten_a", "prg_1", "note_1")

    # THEN it is exactly what was saved, at version 1
    assert stored is not None
    assert differences(new.model_copy(update={"version": 1}), stored) == []


def test_stale_save_of_a_note_is_rejected_and_keeps_the_newer_record(notes: NoteRepository) -> None:
    # GIVEN a note read twice
    stored = notes.save(note("note_1"))
    stale = stored.model_copy(deep=True)

    # WHEN one copy is pinned and saved, then the stale copy is saved
    stored.pinned = True
    pinned = notes.save(stored)
    stale.text = "Stale"
    with pytest.raises(VersionConflict):
        notes.save(stale)

    # THEN the pinned note stands
    found = notes.get("ten_a", "prg_1", "note_1")
    assert found is not None
    assert differences(pinned, found) == []


def test_only_pinned_notes_are_found_through_the_sparse_index_until_unpinned(notes: NoteRepository) -> None:
    # GIVEN two pinned notes and one not pinned, and another programme's pinned note
    notes.save(note("note_b", pinned=True))
    first = notes.save(note("note_a", pinned=True))
    notes.save(note("note_c"))
    notes.save(note("note_d", programme_id="prg_2", pinned=True))

    # WHEN one is unpinned
    first.pinned = False
    notes.save(first)

    # THEN the programme lists all its notes by id, and only the still pinned one is pinned
    assert [n.note_id for n in notes.list("ten_a", "prg_1")] == ["note_a", "note_b", "note_c"]
    assert [n.note_id for n in notes.pinned("ten_a", "prg_1")] == ["note_b"]


def test_a_deleted_note_is_gone(notes: NoteRepository) -> None:
    # GIVEN two notes
    gone = notes.save(note("note_1"))
    notes.save(note("note_2"))

    # WHEN one is deleted
    notes.delete(gone)

    # THEN only the other is found
    assert notes.get("ten_a", "prg_1", "note_1") is None
    assert [n.note_id for n in notes.list("ten_a", "prg_1")] == ["note_2"]


def test_a_note_item_follows_the_shared_item_layout(backend: Backend, notes: NoteRepository) -> None:
    if backend.table is None:
        pytest.skip("the item layout is DynamoDB's")
    # GIVEN a pinned note that expires half-way through a second
    expires = at(60).replace(microsecond=500_000)

    # WHEN it is saved
    notes.save(note("note_1", pinned=True, extra={"n": 1}, expires_at=expires))

    # THEN its item has its type's name, the generic encodings and the TTL twin, and its index keys
    item = backend.table.get_item(Key=note_key("ten_a", "prg_1", "note_1"), ConsistentRead=True)["Item"]
    assert item["entity_type"] == "recipe_note"
    assert item["extra"] == '{"n":1}'
    assert item["expires_at"] == math.ceil(expires.timestamp())
    assert item["expires_at_text"] == expires.isoformat()
    assert item["GSI1PK"] == "TENANT#ten_a#PROGRAMME#prg_1#RECIPE_PINNED"


def test_a_type_with_a_field_named_like_a_storage_attribute_is_refused() -> None:
    # GIVEN a model with a field named like an index attribute
    class Clashing(DomainModel):
        GSI1PK: str

    # WHEN it is registered
    # THEN registration refuses it, since the index attribute would overwrite the field
    with pytest.raises(TypeError, match="GSI1PK"):
        register_entity("clashing", Clashing)(lambda entity: {})


def test_an_entity_type_name_is_registered_once() -> None:
    # GIVEN a second model wanting the notes' entity type name
    class Impostor(DomainModel):
        text: str

    # WHEN it is registered under that name
    # THEN registration refuses it, so stored notes keep reading back as notes
    with pytest.raises(TypeError, match="recipe_note"):
        register_entity("recipe_note", Impostor)(lambda entity: {})
