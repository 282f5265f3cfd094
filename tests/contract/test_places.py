"""Contract of PlaceRepository, and the hard places limit under real contention (DynamoDB Local)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.participant import Consent, ParticipantStatus, Role
from chalicelib.domain.places import PlacesCounted, PlaceSlot
from chalicelib.notify.outbox import Notifier
from chalicelib.services.enrolment import onboard, signup_reads
from chalicelib.storage.batch import begin
from tests.support.builders import at, profile, programme

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage
    from tests.contract.conftest import Backend

SIGNUPS = 120
PLACES = 40
THREADS = 24


def slot(index: int, holder: str, minutes: int = 0) -> PlaceSlot:
    return PlaceSlot(tenant_id="ten_a", programme_id="prg_1", index=index, holder_id=holder, claimed_at=at(minutes))


def test_a_free_slot_is_taken_once_and_passed_on_only_from_the_holder_seen(storage: Storage) -> None:
    # GIVEN slot 0 taken by Ana
    assert storage.places.take(slot(0, "par_ana"), from_holder=None)

    # WHEN Bo tries to take it as free, then from someone else, then from Ana
    as_free = storage.places.take(slot(0, "par_bo"), from_holder=None)
    from_other = storage.places.take(slot(0, "par_bo"), from_holder="par_cy")
    from_ana = storage.places.take(slot(0, "par_bo", minutes=5), from_holder="par_ana")

    # THEN only the last succeeds, and the slot is Bo's
    assert (as_free, from_other, from_ana) == (False, False, True)
    assert [(s.index, s.holder_id) for s in storage.places.slots("ten_a", "prg_1")] == [(0, "par_bo")]
    assert storage.places.slots("ten_a", "prg_2") == []


@pytest.mark.parametrize("in_units", [False, True], ids=["one-by-one", "units-of-work"])
def test_concurrent_signups_never_take_more_places_than_the_programme_has(backend: Backend, in_units: bool) -> None:
    if backend.name == "moto":
        pytest.skip("moto's conditional puts are not atomic across threads; DynamoDB Local's are")
    # GIVEN a programme with 40 mentee places and 120 people signing up at once, each on their own connection
    backend.storage.programmes.save(programme("ten_a", "prg_1", max_mentees=PLACES, languages=["en"]))
    start = threading.Barrier(THREADS)
    clock = FixedClock(at(0))

    def sign_up(worker: int) -> list[ParticipantStatus]:
        storage = backend.connect()
        start.wait()
        statuses = []
        for number in range(worker, SIGNUPS, THREADS):
            person = profile(f"mentee{number}@example.org", consent=Consent(given=True, at=at(0)))
            # As the inbox runs a signup: what it reads fetched at once, what it writes stored at the end.
            unit = begin(storage) if in_units else None
            if unit is not None:
                unit.prefetch(signup_reads("ten_a", "prg_1", person.email, None))
            enrolled = onboard(
                storage=storage if unit is None else unit.storage,
                notifier=Notifier(storage.messages if unit is None else unit.storage.messages, clock),
                clock=clock,
                tenant_id="ten_a",
                programme_id="prg_1",
                profile=person,
                submitted_at=at(0),
            )
            if unit is not None:
                unit.commit()
            assert enrolled.participant is not None
            statuses.append(enrolled.participant.status)
        return statuses

    # WHEN they all sign up
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = [status for statuses in pool.map(sign_up, range(THREADS)) for status in statuses]

    # THEN exactly 40 are accepted and 80 waitlisted, as stored
    assert (outcomes.count(ParticipantStatus.ACCEPTED), outcomes.count(ParticipantStatus.WAITLISTED)) == (40, 80)
    stored = backend.storage.participants.list("ten_a", "prg_1", limit=500).items
    accepted = [p for p in stored if p.status is ParticipantStatus.ACCEPTED and p.role is Role.MENTEE]
    assert len(accepted) == PLACES


def test_the_ledger_reads_the_slots_and_the_counted_marker_of_one_programme(storage: Storage) -> None:
    # GIVEN two slots and the marker of programme prg_1, and a slot of programme prg_2
    storage.places.take(slot(1, "par_bo"), from_holder=None)
    storage.places.take(slot(0, "par_ana"), from_holder=None)
    storage.places.take(slot(0, "par_cy").model_copy(update={"programme_id": "prg_2"}), from_holder=None)
    storage.places.mark_counted(
        PlacesCounted(tenant_id="ten_a", programme_id="prg_1", programme_version=3, counted_at=at(0))
    )
    storage.places.mark_counted(
        PlacesCounted(tenant_id="ten_a", programme_id="prg_1", programme_version=4, counted_at=at(1))
    )

    # WHEN each programme's ledger is read
    first = storage.places.ledger("ten_a", "prg_1")
    second = storage.places.ledger("ten_a", "prg_2")

    # THEN each holds its own slots by index, and only prg_1 its newest marker
    assert [(s.index, s.holder_id) for s in first.slots] == [(0, "par_ana"), (1, "par_bo")]
    assert first.counted is not None
    assert first.counted.programme_version == 4
    assert [(s.index, s.holder_id) for s in second.slots] == [(0, "par_cy")]
    assert second.counted is None
