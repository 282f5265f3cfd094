"""Contract of ``rewrite_programme``: one programme's items kept, replaced or deleted, on every backend."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.common import DomainModel
from chalicelib.domain.events import EventKind, Invitation, ProgrammeEvent
from chalicelib.storage.offboarding import rewrite_programme
from tests.support.builders import at, participant

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def _invitation(programme_id: str, participant_id: str) -> Invitation:
    return Invitation(
        tenant_id="ten_a",
        programme_id=programme_id,
        event_id="evt_1",
        participant_id=participant_id,
        invited_at=at(0),
        expires_at=at(0) + timedelta(days=30),
    )


def _event(programme_id: str) -> ProgrammeEvent:
    return ProgrammeEvent(
        event_id="evt_1",
        tenant_id="ten_a",
        programme_id=programme_id,
        kind=EventKind.KICK_OFF,
        title="Početak",
        starts_at=at(600),
        ends_at=at(700),
        created_at=at(0),
        expires_at=at(0) + timedelta(days=30),
    )


def test_a_rewrite_deletes_replaces_and_keeps_items_of_one_programme_only(storage: Storage) -> None:
    # GIVEN invitations of Ana and Ivan to an event in two programmes, and Ivan's enrolment
    for programme_id in ("prg_1", "prg_2"):
        storage.events.save(_event(programme_id))
        for person in ("par_ana", "par_ivan"):
            storage.events.add_invitation(_invitation(programme_id, person))
    storage.participants.save(participant("ten_a", "prg_1", "par_ivan", email="ivan@example.rs"))

    # WHEN prg_1 is rewritten: Ana's invitation dropped, the event renamed, everything else kept
    def rewrite(entity: DomainModel) -> DomainModel | None:
        if isinstance(entity, Invitation) and entity.participant_id == "par_ana":
            return None
        if isinstance(entity, ProgrammeEvent):
            return entity.model_copy(update={"title": "Kick-off"})
        return entity

    replaced, deleted = rewrite_programme(storage, "ten_a", "prg_1", rewrite)

    # THEN only prg_1 changed, the replaced item at its next version, and the counts say so
    assert (replaced, deleted) == (1, 1)
    assert [i.participant_id for i in storage.events.invitations("ten_a", "prg_1", "evt_1")] == ["par_ivan"]
    assert [i.participant_id for i in storage.events.invitations("ten_a", "prg_2", "evt_1")] == ["par_ana", "par_ivan"]
    renamed = storage.events.get("ten_a", "prg_1", "evt_1")
    assert renamed is not None
    assert (renamed.title, renamed.version) == ("Kick-off", 2)
    untouched = storage.events.get("ten_a", "prg_2", "evt_1")
    assert untouched is not None
    assert untouched.title == "Početak"
    assert storage.participants.get("ten_a", "prg_1", "par_ivan") is not None
