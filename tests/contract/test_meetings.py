"""Contract of MeetingRepository: meetings of a pair, found by the calendar vendor's id."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.meetings import MeetingStatus
from chalicelib.errors import VersionConflict
from tests.support.builders import BELGRADE, at, meeting
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


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


def test_a_meeting_is_read_by_its_key_only_within_its_own_pair(storage: Storage) -> None:
    # GIVEN a meeting of pair_1 with every optional field set
    saved = storage.meetings.save(
        meeting(
            "ten_a",
            "prg_1",
            "pair_1",
            "mtg_1",
            ends_at=at(120).astimezone(BELGRADE),
            sequence=3,
            vendor_updated_at=at(5),
            moved_to="evt-Đ-002",
            confirmed=False,
        )
    )

    # WHEN it is read by key, and under another pair or tenant
    found = storage.meetings.get("ten_a", "prg_1", "pair_1", "mtg_1")

    # THEN it reads back whole, and only under its own pair
    assert found is not None
    assert differences(saved, found) == []
    assert storage.meetings.get("ten_a", "prg_1", "pair_2", "mtg_1") is None
    assert storage.meetings.get("ten_b", "prg_1", "pair_1", "mtg_1") is None
