"""Contract of EventRepository: events, invitations stored once, and the sparse reminder index."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.events import EventKind, Invitation, ProgrammeEvent, Rsvp
from tests.support.builders import BELGRADE, at
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def _event(event_id: str = "evt_1") -> ProgrammeEvent:
    return ProgrammeEvent(
        event_id=event_id,
        tenant_id="ten_a",
        programme_id="prg_1",
        kind=EventKind.MENTOR_GATHERING,
        title="Susret mentora — Čiurlionytė & Ærø",
        starts_at=at(600).astimezone(BELGRADE),
        ends_at=at(720).astimezone(BELGRADE),
        place="Kulturni centar",
        created_at=at(0),
        expires_at=at(0) + timedelta(days=730),
    )


def _invitation(participant_id: str, remind_minutes: int | None, event_id: str = "evt_1") -> Invitation:
    return Invitation(
        tenant_id="ten_a",
        programme_id="prg_1",
        event_id=event_id,
        participant_id=participant_id,
        invited_at=at(0),
        rsvp=Rsvp.YES if remind_minutes is not None else None,
        remind_at=None if remind_minutes is None else at(remind_minutes),
        expires_at=at(0) + timedelta(days=730),
    )


def test_an_event_reads_back_with_every_field_and_lists_in_its_programme(storage: Storage) -> None:
    # GIVEN an event with names in several scripts and a local time zone
    event = _event()
    # WHEN it is saved
    storage.events.save(event)
    # THEN it reads back exactly and is listed
    stored = storage.events.get("ten_a", "prg_1", "evt_1")
    assert stored is not None
    assert differences(event.model_copy(update={"version": 1}), stored) == []
    assert [e.event_id for e in storage.events.list("ten_a", "prg_1")] == ["evt_1"]
    assert storage.events.list("ten_a", "prg_2") == []


def test_an_invitation_is_stored_once_and_those_of_an_event_are_listed(storage: Storage) -> None:
    # GIVEN two people invited to one event and one to another
    assert storage.events.add_invitation(_invitation("par_b", None))
    assert not storage.events.add_invitation(_invitation("par_b", 5))
    storage.events.add_invitation(_invitation("par_a", None))
    storage.events.add_invitation(_invitation("par_c", None, event_id="evt_10"))
    # THEN the event lists its own two, in participant order (evt_10 shares the prefix but not the event)
    assert [i.participant_id for i in storage.events.invitations("ten_a", "prg_1", "evt_1")] == ["par_a", "par_b"]


def test_only_invitations_with_a_reminder_come_due_oldest_first(storage: Storage) -> None:
    # GIVEN reminders at minutes 20 and 10 and an invitation without
    storage.events.add_invitation(_invitation("par_late", 20))
    storage.events.add_invitation(_invitation("par_early", 10))
    storage.events.add_invitation(_invitation("par_none", None))
    # WHEN the sweep asks at minute 20, then after the early one is done
    due = storage.events.reminders_due(at(20))
    done = storage.events.get_invitation("ten_a", "prg_1", "evt_1", "par_early")
    assert done is not None
    storage.events.save_invitation(done.model_copy(update={"remind_at": None, "reminded_for": [7]}))
    # THEN
    assert [i.participant_id for i in due] == ["par_early", "par_late"]
    assert [i.participant_id for i in storage.events.reminders_due(at(20))] == ["par_late"]
