"""Contract of a unit of work (``storage.batch``): reads fetched together, writes stored together.

On DynamoDB (moto, DynamoDB Local) the unit reads with one BatchGetItem and writes with one
TransactWriteItems; on the fake it is the storage itself, so what a caller sees is the same
except that the fake has nothing to roll back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.participant import ParticipantStatus
from chalicelib.domain.places import PlaceSlot
from chalicelib.errors import ValidationFailed, VersionConflict
from chalicelib.storage.base import TRANSACTION_LIMIT, ConditionalPut, batch_get, transact_write
from chalicelib.storage.batch import begin
from chalicelib.storage.messages import message_key
from chalicelib.storage.participants import participant_key
from chalicelib.storage.programmes import programme_key
from chalicelib.storage.registry import to_item
from tests.support.builders import at, meeting, message, participant, programme

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage
    from tests.contract.conftest import Backend

TENANT, PROGRAMME = "ten_a", "prg_1"


def _needs_table(backend: Backend) -> None:
    if backend.table is None:
        pytest.skip("the fake has no table: its repositories write at once")


def test_what_a_unit_prefetched_is_read_as_stored_and_what_is_missing_as_missing(storage: Storage) -> None:
    # GIVEN a programme and a participant, and a participant who was never stored
    storage.programmes.save(programme(TENANT, PROGRAMME))
    storage.participants.save(participant(TENANT, PROGRAMME, "par_ana"))
    unit = begin(storage)

    # WHEN the unit prefetches all three and its repositories read them
    unit.prefetch(
        [
            programme_key(TENANT, PROGRAMME),
            participant_key(TENANT, PROGRAMME, "par_ana"),
            participant_key(TENANT, PROGRAMME, "par_nobody"),
        ]
    )
    found = unit.storage.programmes.get(TENANT, PROGRAMME)
    ana = unit.storage.participants.get(TENANT, PROGRAMME, "par_ana")
    nobody = unit.storage.participants.get(TENANT, PROGRAMME, "par_nobody")

    # THEN the stored ones are found at their versions and the other is not
    assert found is not None
    assert ana is not None
    assert (found.version, ana.version, ana.profile.email) == (1, 1, "ana@example.org")
    assert nobody is None


def test_the_writes_of_a_unit_are_stored_when_it_commits(storage: Storage) -> None:
    # GIVEN a unit that read a participant and the key of their welcome
    stored = storage.participants.save(participant(TENANT, PROGRAMME, "par_ana"))
    welcome = message(TENANT, "welcome:par_ana", participant_id="par_ana")
    unit = begin(storage)
    unit.prefetch([participant_key(TENANT, PROGRAMME, "par_ana"), message_key(TENANT, welcome.message_id)])

    # WHEN it accepts the participant twice over, queues the welcome and commits
    accepted = stored.model_copy(update={"status": ParticipantStatus.ACCEPTED})
    saved = unit.storage.participants.save(accepted)
    unit.storage.participants.save(saved.model_copy(update={"status": ParticipantStatus.MATCHED}))
    queued = unit.storage.messages.add(welcome)
    unit.commit()

    # THEN both are stored, the participant at its last state and version
    assert queued
    now = storage.participants.get(TENANT, PROGRAMME, "par_ana")
    assert now is not None
    assert (now.status, now.version) == (ParticipantStatus.MATCHED, 3)
    assert storage.messages.get(TENANT, welcome.message_id) is not None


def test_a_write_the_unit_read_as_taken_fails_at_once_as_the_repository_promises(storage: Storage) -> None:
    # GIVEN a welcome already queued, and a participant saved since someone read them
    welcome = message(TENANT, "welcome:par_ana", participant_id="par_ana")
    storage.messages.add(welcome)
    read = storage.participants.save(participant(TENANT, PROGRAMME, "par_ana"))
    storage.participants.save(read)
    unit = begin(storage)
    unit.prefetch([message_key(TENANT, welcome.message_id), participant_key(TENANT, PROGRAMME, "par_ana")])

    # WHEN the unit queues the welcome again and saves the participant at the version first read
    queued = unit.storage.messages.add(welcome)

    # THEN the message is not queued twice, and the stale save is a conflict there and then
    assert queued is False
    with pytest.raises(VersionConflict):
        unit.storage.participants.save(read)


def test_a_unit_overtaken_by_another_writer_stores_none_of_its_writes(backend: Backend) -> None:
    _needs_table(backend)
    storage = backend.storage
    # GIVEN a unit that read a participant and the key of their welcome
    stored = storage.participants.save(participant(TENANT, PROGRAMME, "par_ana"))
    welcome = message(TENANT, "welcome:par_ana", participant_id="par_ana")
    unit = begin(storage)
    unit.prefetch([participant_key(TENANT, PROGRAMME, "par_ana"), message_key(TENANT, welcome.message_id)])
    unit.storage.participants.save(stored.model_copy(update={"status": ParticipantStatus.ACCEPTED}))
    unit.storage.messages.add(welcome)

    # WHEN someone else saves the participant before the unit commits
    storage.participants.save(stored.model_copy(update={"status": ParticipantStatus.WITHDRAWN}))

    # THEN the commit is a conflict and neither of the unit's writes is stored
    with pytest.raises(VersionConflict):
        unit.commit()
    now = storage.participants.get(TENANT, PROGRAMME, "par_ana")
    assert now is not None
    assert now.status is ParticipantStatus.WITHDRAWN
    assert storage.messages.get(TENANT, welcome.message_id) is None


def test_a_query_in_a_unit_sees_the_unit_s_own_writes(storage: Storage) -> None:
    # GIVEN a unit that accepted a participant it read
    stored = storage.participants.save(participant(TENANT, PROGRAMME, "par_ana"))
    unit = begin(storage)
    unit.prefetch([participant_key(TENANT, PROGRAMME, "par_ana")])
    unit.storage.participants.save(stored.model_copy(update={"status": ParticipantStatus.ACCEPTED}))

    # WHEN the unit lists the accepted
    listed = unit.storage.participants.list(TENANT, PROGRAMME, status=ParticipantStatus.ACCEPTED).items

    # THEN the participant is among them
    assert [p.participant_id for p in listed] == ["par_ana"]


def test_a_batch_read_of_more_keys_than_one_request_holds_finds_every_item(backend: Backend) -> None:
    _needs_table(backend)
    assert backend.table is not None
    # GIVEN 130 participants stored
    for number in range(130):
        backend.storage.participants.save(participant(TENANT, PROGRAMME, f"par_{number:03d}"))

    # WHEN they are read with two keys that hold nothing
    wanted = [participant_key(TENANT, PROGRAMME, f"par_{number:03d}") for number in range(132)]
    found = batch_get(backend.table, wanted)

    # THEN the 130 are found by key, and only they
    assert len(found) == 130
    assert found[(wanted[7]["PK"], wanted[7]["SK"])]["participant_id"] == "par_007"


def test_a_transaction_holds_at_most_one_hundred_items(backend: Backend) -> None:
    _needs_table(backend)
    assert backend.table is not None
    # GIVEN one put more than a transaction holds
    puts = [
        ConditionalPut(to_item(participant(TENANT, PROGRAMME, f"par_{n:03d}").model_copy(update={"version": 1})))
        for n in range(TRANSACTION_LIMIT + 1)
    ]

    # WHEN they are written together, THEN it is refused and nothing is stored
    with pytest.raises(ValidationFailed):
        transact_write(backend.table, puts)
    assert backend.storage.participants.list(TENANT, PROGRAMME).items == []

    # AND a hundred are stored together
    transact_write(backend.table, puts[:TRANSACTION_LIMIT])
    assert len(backend.storage.participants.list(TENANT, PROGRAMME, limit=500).items) == TRANSACTION_LIMIT


def test_a_new_item_in_a_range_the_unit_read_whole_waits_for_the_commit_and_its_condition(backend: Backend) -> None:
    _needs_table(backend)
    storage = backend.storage
    # GIVEN a unit that read a pair's meetings (none yet) and logged a new one
    unit = begin(storage)
    assert unit.storage.meetings.for_pair(TENANT, PROGRAMME, "pair_1") == []
    unit.storage.meetings.save(meeting(TENANT, PROGRAMME, "pair_1", "mtg_1"))

    # WHEN someone else logs the same meeting before the unit commits
    storage.meetings.save(meeting(TENANT, PROGRAMME, "pair_1", "mtg_1", source="by-hand"))

    # THEN the unit's commit is a conflict and the other writer's meeting stays
    with pytest.raises(VersionConflict):
        unit.commit()
    [kept] = storage.meetings.for_pair(TENANT, PROGRAMME, "pair_1")
    assert kept.source == "by-hand"


def test_a_place_slot_taken_in_a_unit_is_taken_there_and_then(storage: Storage) -> None:
    # GIVEN a unit that read the programme's places (none taken)
    unit = begin(storage)
    assert unit.storage.places.ledger(TENANT, PROGRAMME).slots == []

    # WHEN it takes the first slot, and someone else then tries to
    taken = unit.storage.places.take(_slot("par_ana"), from_holder=None)
    rival = storage.places.take(_slot("par_bo"), from_holder=None)

    # THEN the unit's take is stored before any commit, and the rival's fails
    assert (taken, rival) == (True, False)
    assert [s.holder_id for s in storage.places.slots(TENANT, PROGRAMME)] == ["par_ana"]


def _slot(holder: str) -> PlaceSlot:
    return PlaceSlot(tenant_id=TENANT, programme_id=PROGRAMME, index=0, holder_id=holder, claimed_at=at(0))


def test_many_participants_read_in_a_unit_are_as_the_unit_left_them(storage: Storage) -> None:
    # GIVEN a unit that accepted one of two stored participants
    ana = storage.participants.save(participant(TENANT, PROGRAMME, "par_ana"))
    storage.participants.save(participant(TENANT, PROGRAMME, "par_bo", email="bo@example.org"))
    unit = begin(storage)
    unit.prefetch([participant_key(TENANT, PROGRAMME, "par_ana")])
    unit.storage.participants.save(ana.model_copy(update={"status": ParticipantStatus.ACCEPTED}))

    # WHEN the unit reads both together
    found = unit.storage.participants.get_many(TENANT, PROGRAMME, ["par_ana", "par_bo"])

    # THEN it sees its own change and the other as stored
    assert {pid: p.status for pid, p in found.items()} == {
        "par_ana": ParticipantStatus.ACCEPTED,
        "par_bo": ParticipantStatus.APPLIED,
    }


def test_a_unit_of_more_writes_than_one_transaction_holds_stores_them_all(storage: Storage) -> None:
    # GIVEN a unit that read 130 participants
    stored = [storage.participants.save(participant(TENANT, PROGRAMME, f"par_{n:03d}")) for n in range(130)]
    unit = begin(storage)
    unit.prefetch([participant_key(TENANT, PROGRAMME, p.participant_id) for p in stored])

    # WHEN it accepts them all and commits
    for person in stored:
        unit.storage.participants.save(person.model_copy(update={"status": ParticipantStatus.ACCEPTED}))
    unit.commit()

    # THEN all 130 are accepted
    accepted = storage.participants.list(TENANT, PROGRAMME, status=ParticipantStatus.ACCEPTED, limit=500).items
    assert len(accepted) == 130
