"""Contract of PairRepository and MeetingRepository: pairs, the reminder sweep's due index, meetings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.common import StatusChange
from chalicelib.domain.pair import MeetingStatus, PairStatus
from chalicelib.errors import VersionConflict
from tests.contract.entities import BELGRADE, VILNIUS, at, differences, meeting, pair

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def test_a_saved_pair_reads_back_with_every_field_and_number_type(storage: Storage) -> None:
    # GIVEN a pair with a float score that has no short decimal form and free-form reasons
    new = pair(
        "ten_a",
        "prg_1",
        "pair_1",
        status=PairStatus.ACTIVE,
        history=[StatusChange(status="active", at=at(3).astimezone(BELGRADE), reason="Oboje prihvatili")],
        score=0.1 + 0.2,
        explanation="Dijele ciljeve: vođenje, Ørsted; Čiurlionytė je iskusna",
        reasons=[
            {"criterion": "tags", "points": 4.0, "shared": ["vođenje", "Ørsted"]},
            {"criterion": "seniority", "gap": 2, "weight": 1.5, "note": None, "strict": True},
            {"nested": {"ratio": 1e-7, "big": 12345678901234567890, "list": [1, 2.5, "tri"]}},
        ],
        run_id="run_1",
        accept_by=at(60).astimezone(VILNIUS),
        last_met_at=at(30),
        meetings_held=2,
        next_due_at=at(90).astimezone(BELGRADE),
        updated_at=at(3),
    )

    # WHEN it is saved and read back
    storage.pairs.save(new)
    stored = storage.pairs.get("ten_a", "prg_1", "pair_1")

    # THEN every value, including the int/float kind inside the reasons, is as saved
    assert stored is not None
    assert differences(new.model_copy(update={"version": 1}), stored) == []
    assert stored.score == 0.1 + 0.2


def test_stale_save_of_a_pair_is_rejected_and_keeps_the_newer_record(storage: Storage) -> None:
    # GIVEN a proposed pair read twice
    storage.pairs.save(pair("ten_a", "prg_1", "pair_1"))
    approving = storage.pairs.get("ten_a", "prg_1", "pair_1")
    rejecting = storage.pairs.get("ten_a", "prg_1", "pair_1")
    assert approving is not None
    assert rejecting is not None

    # WHEN one approves it and the other, holding the old version, rejects it
    approving.move_to(PairStatus.APPROVED, at=at(1))
    approved = storage.pairs.save(approving)
    rejecting.move_to(PairStatus.REJECTED, at=at(2))
    with pytest.raises(VersionConflict):
        storage.pairs.save(rejecting)

    # THEN the approval stands
    stored = storage.pairs.get("ten_a", "prg_1", "pair_1")
    assert stored is not None
    assert differences(approved, stored) == []


def test_pairs_are_listed_per_programme_by_id_and_filtered_by_status(storage: Storage) -> None:
    # GIVEN pairs of a programme in two statuses, and pairs elsewhere with the same ids
    storage.pairs.save(pair("ten_a", "prg_1", "pair_c", status=PairStatus.ACTIVE))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_a"))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_b", status=PairStatus.ACTIVE))
    storage.pairs.save(pair("ten_a", "prg_2", "pair_a"))
    storage.pairs.save(pair("ten_b", "prg_1", "pair_d"))

    # WHEN the programme's pairs are listed, all and the active ones
    every = storage.pairs.list("ten_a", "prg_1")
    active = storage.pairs.list("ten_a", "prg_1", status=PairStatus.ACTIVE)

    # THEN only that programme's pairs come, by id
    assert [p.pair_id for p in every] == ["pair_a", "pair_b", "pair_c"]
    assert [p.pair_id for p in active] == ["pair_b", "pair_c"]
    assert [p.pair_id for p in storage.pairs.list("ten_b", "prg_1")] == ["pair_d"]


def test_due_pairs_of_every_tenant_come_oldest_first_up_to_and_including_the_time(storage: Storage) -> None:
    # GIVEN open pairs of two tenants due at various times, one without a due time
    storage.pairs.save(pair("ten_a", "prg_1", "pair_late", next_due_at=at(20)))
    storage.pairs.save(pair("ten_b", "prg_9", "pair_b", status=PairStatus.ACTIVE, next_due_at=at(10)))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_exact", status=PairStatus.APPROVED, next_due_at=at(15)))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_first", next_due_at=at(5).astimezone(VILNIUS)))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_never"))

    # WHEN the sweep asks for pairs due at minute 15
    due = storage.pairs.due(at(15))

    # THEN the ones due by then come, oldest first, whatever their tenant and offset
    assert [p.pair_id for p in due] == ["pair_first", "pair_b", "pair_exact"]
    assert [p.pair_id for p in storage.pairs.due(at(15), limit=2)] == ["pair_first", "pair_b"]


def test_a_closed_pair_leaves_the_due_list(storage: Storage) -> None:
    # GIVEN two active pairs that are due
    ending = storage.pairs.save(pair("ten_a", "prg_1", "pair_1", status=PairStatus.ACTIVE, next_due_at=at(5)))
    closing = storage.pairs.save(pair("ten_a", "prg_1", "pair_2", status=PairStatus.ACTIVE, next_due_at=at(6)))

    # WHEN one completes, and the other ends early while its due time is left set
    ending.move_to(PairStatus.COMPLETED, at=at(7), reason="Završeno")
    storage.pairs.save(ending)
    closing.move_to(PairStatus.ENDED_EARLY, at=at(8))
    closing.next_due_at = at(6)
    storage.pairs.save(closing)

    # THEN neither is due any more, though both are still stored
    assert storage.pairs.due(at(60)) == []
    assert [p.status for p in storage.pairs.list("ten_a", "prg_1")] == [
        PairStatus.COMPLETED,
        PairStatus.ENDED_EARLY,
    ]


def test_a_saved_meeting_reads_back_by_vendor_id_and_with_its_pair(storage: Storage) -> None:
    # GIVEN a meeting with local times
    new = meeting(
        "ten_a",
        "prg_1",
        "pair_1",
        "mtg_1",
        source="google-calendar",
        external_id="evt-Đ-001",
        starts_at=at(60).astimezone(BELGRADE),
        ends_at=at(120).astimezone(BELGRADE),
        status=MeetingStatus.HELD,
    )

    # WHEN it is saved and read back by the vendor's id and for its pair
    storage.meetings.save(new)
    by_vendor = storage.meetings.by_external_id("ten_a", "google-calendar", "evt-Đ-001")
    for_pair = storage.meetings.for_pair("ten_a", "prg_1", "pair_1")

    # THEN both give exactly what was saved
    assert by_vendor is not None
    assert differences(new.model_copy(update={"version": 1}), by_vendor) == []
    assert len(for_pair) == 1
    assert differences(by_vendor, for_pair[0]) == []


def test_meetings_are_listed_for_their_own_pair_only(storage: Storage) -> None:
    # GIVEN meetings of pair_a, of a pair whose id starts the same, and of another tenant's pair_a
    storage.meetings.save(meeting("ten_a", "prg_1", "pair_a", "mtg_2"))
    storage.meetings.save(meeting("ten_a", "prg_1", "pair_a", "mtg_1"))
    storage.meetings.save(meeting("ten_a", "prg_1", "pair_ab", "mtg_3"))
    storage.meetings.save(meeting("ten_b", "prg_1", "pair_a", "mtg_4"))

    # WHEN pair_a's meetings are listed
    listed = storage.meetings.for_pair("ten_a", "prg_1", "pair_a")

    # THEN only its own come, by meeting id
    assert [m.meeting_id for m in listed] == ["mtg_1", "mtg_2"]


def test_another_tenant_never_finds_a_meeting_by_its_vendor_id(storage: Storage) -> None:
    # GIVEN tenant A's meeting
    storage.meetings.save(meeting("ten_a", "prg_1", "pair_1", "mtg_1", external_id="evt-1"))

    # WHEN tenant B looks up the same vendor id
    # THEN it finds nothing
    assert storage.meetings.by_external_id("ten_b", "calendly", "evt-1") is None
    assert storage.meetings.by_external_id("ten_a", "calcom", "evt-1") is None
    assert storage.meetings.for_pair("ten_b", "prg_1", "pair_1") == []


def test_stale_save_of_a_meeting_is_rejected_and_keeps_the_newer_record(storage: Storage) -> None:
    # GIVEN a meeting that two calendar webhooks read
    stored = storage.meetings.save(meeting("ten_a", "prg_1", "pair_1", "mtg_1"))
    stale = stored.model_copy(deep=True)

    # WHEN one marks it held and the other, late, cancels its old copy
    stored.status = MeetingStatus.HELD
    held = storage.meetings.save(stored)
    stale.status = MeetingStatus.CANCELLED
    with pytest.raises(VersionConflict):
        storage.meetings.save(stale)

    # THEN it stays held
    found = storage.meetings.by_external_id("ten_a", "calendly", "ext-mtg_1")
    assert found is not None
    assert differences(held, found) == []
