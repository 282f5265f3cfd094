"""Contract of ParticipantRepository: versioned records, paged listing by status, e-mail lookup, erasure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.common import StatusChange
from chalicelib.domain.participant import Consent, ParticipantStatus, Role
from chalicelib.errors import ValidationFailed, VersionConflict
from tests.support.builders import BELGRADE, VILNIUS, at, participant, profile
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.domain.participant import Participant
    from chalicelib.storage.repositories import Page, Storage

ACCEPTED = ParticipantStatus.ACCEPTED
APPLIED = ParticipantStatus.APPLIED


def _all_pages(storage: Storage, *, status: ParticipantStatus | None = None, limit: int) -> list[Page[Participant]]:
    pages = [storage.participants.list("ten_a", "prg_1", status=status, limit=limit)]
    while pages[-1].next_cursor is not None:
        cursor = pages[-1].next_cursor
        pages.append(storage.participants.list("ten_a", "prg_1", status=status, limit=limit, cursor=cursor))
    return pages


def test_a_saved_participant_reads_back_with_every_field(storage: Storage) -> None:
    # GIVEN a mentor with a full profile in several scripts, consent and a status history in local times
    new = participant(
        "ten_a",
        "prg_1",
        "par_1",
        profile=profile(
            "Jurate.Ciurlionyte@Example.org",
            role=Role.MENTOR,
            name="Jūratė Čiurlionytė",
            language="lt",
            timezone="Europe/Vilnius",
            company="Søren Ærø A/S",
            department="Razvoj – Đorđević",
            manager_email="boss@example.org",
            seniority=7,
            tags=["vadovavimas", "Ørsted-skolen"],
            languages=["lt", "en", "da"],
            capacity=2,
            ranked_preferences=["par_9", "par_3"],
            consent=Consent(given=True, at=at(1).astimezone(VILNIUS), text_version="2025-01"),
        ),
        status=ACCEPTED,
        history=[StatusChange(status="accepted", at=at(2).astimezone(BELGRADE), reason="Ima mjesta")],
        priority=3,
        profile_submitted_at=at(1).astimezone(VILNIUS),
        created_at=at(0),
        updated_at=at(2).astimezone(BELGRADE),
    )

    # WHEN it is saved and read back by id and by e-mail
    saved = storage.participants.save(new)
    stored = storage.participants.get("ten_a", "prg_1", "par_1")
    by_email = storage.participants.by_email("ten_a", "jurate.ciurlionyte@example.org")

    # THEN both reads give exactly what was saved
    assert stored is not None
    assert saved.version == 1
    assert differences(new.model_copy(update={"version": 1}), stored) == []
    assert len(by_email) == 1
    assert differences(stored, by_email[0]) == []


def test_stale_save_is_rejected_and_keeps_the_newer_record(storage: Storage) -> None:
    # GIVEN a participant read twice
    storage.participants.save(participant("ten_a", "prg_1", "par_1"))
    first = storage.participants.get("ten_a", "prg_1", "par_1")
    second = storage.participants.get("ten_a", "prg_1", "par_1")
    assert first is not None
    assert second is not None

    # WHEN the first copy is accepted, then the stale second copy is withdrawn
    first.move_to(ACCEPTED, at=at(5))
    accepted = storage.participants.save(first)
    second.move_to(ParticipantStatus.WITHDRAWN, at=at(6))
    with pytest.raises(VersionConflict):
        storage.participants.save(second)

    # THEN the acceptance stands, and the participant is listed under it alone
    stored = storage.participants.get("ten_a", "prg_1", "par_1")
    assert stored is not None
    assert differences(accepted, stored) == []
    assert storage.participants.list("ten_a", "prg_1", status=ParticipantStatus.WITHDRAWN).items == []


def test_saving_a_second_new_participant_with_a_taken_id_is_a_version_conflict(storage: Storage) -> None:
    # GIVEN a stored participant
    storage.participants.save(participant("ten_a", "prg_1", "par_1", email="first@example.org"))

    # WHEN another never-stored participant with the same id is saved
    with pytest.raises(VersionConflict):
        storage.participants.save(participant("ten_a", "prg_1", "par_1", email="second@example.org"))

    # THEN the first stays, and the second e-mail finds nobody
    stored = storage.participants.get("ten_a", "prg_1", "par_1")
    assert stored is not None
    assert stored.email == "first@example.org"
    assert storage.participants.by_email("ten_a", "second@example.org") == []


def test_participants_are_paged_in_id_order_with_cursors(storage: Storage) -> None:
    # GIVEN five participants of a programme saved out of order, and one in another programme
    for number in (4, 2, 5, 1, 3):
        storage.participants.save(participant("ten_a", "prg_1", f"par_{number}", email=f"p{number}@example.org"))
    storage.participants.save(participant("ten_a", "prg_2", "par_0"))

    # WHEN they are listed two at a time, following the cursors
    pages = _all_pages(storage, limit=2)

    # THEN three pages of 2, 2 and 1 hold all five in id order, and only the last has no cursor
    assert [[p.participant_id for p in page.items] for page in pages] == [
        ["par_1", "par_2"],
        ["par_3", "par_4"],
        ["par_5"],
    ]
    assert [page.next_cursor is None for page in pages] == [False, False, True]


def test_a_page_that_ends_exactly_at_the_last_participant_has_no_cursor(storage: Storage) -> None:
    # GIVEN four participants
    for number in range(1, 5):
        storage.participants.save(participant("ten_a", "prg_1", f"par_{number}", email=f"p{number}@example.org"))

    # WHEN they are listed two at a time
    pages = _all_pages(storage, limit=2)

    # THEN there are two full pages and no empty third one
    assert [len(page.items) for page in pages] == [2, 2]
    assert pages[-1].next_cursor is None


def test_participants_of_one_status_are_paged_with_cursors(storage: Storage) -> None:
    # GIVEN five accepted participants among applied ones
    for number in range(1, 8):
        status = APPLIED if number in (2, 6) else ACCEPTED
        storage.participants.save(
            participant("ten_a", "prg_1", f"par_{number}", email=f"p{number}@example.org", status=status)
        )

    # WHEN the accepted ones are listed two at a time
    pages = _all_pages(storage, status=ACCEPTED, limit=2)

    # THEN all five accepted come, in id order, and no applied one
    assert [[p.participant_id for p in page.items] for page in pages] == [
        ["par_1", "par_3"],
        ["par_4", "par_5"],
        ["par_7"],
    ]


def test_a_participant_who_moves_status_is_listed_under_the_new_status_only(storage: Storage) -> None:
    # GIVEN an applicant
    applicant = storage.participants.save(participant("ten_a", "prg_1", "par_1"))

    # WHEN they are accepted
    applicant.move_to(ACCEPTED, at=at(5), reason="Ima mjesta")
    storage.participants.save(applicant)

    # THEN they are no longer among the applicants, only among the accepted
    assert storage.participants.list("ten_a", "prg_1", status=APPLIED).items == []
    accepted = storage.participants.list("ten_a", "prg_1", status=ACCEPTED).items
    assert [(p.participant_id, p.status) for p in accepted] == [("par_1", ACCEPTED)]


def test_by_email_finds_every_enrolment_of_a_person_within_their_tenant_only(storage: Storage) -> None:
    # GIVEN one person enrolled in two programmes of tenant A and one of tenant B, and someone else
    email = "soren.aero@example.org"
    storage.participants.save(participant("ten_a", "prg_2", "par_a2", email=email))
    storage.participants.save(participant("ten_a", "prg_1", "par_a1", email=email))
    storage.participants.save(participant("ten_b", "prg_1", "par_b1", email=email))
    storage.participants.save(participant("ten_a", "prg_1", "par_other", email="other@example.org"))

    # WHEN tenant A looks the e-mail up
    found = storage.participants.by_email("ten_a", email)

    # THEN both of A's enrolments come, by programme, and not B's
    assert [(p.tenant_id, p.programme_id, p.participant_id) for p in found] == [
        ("ten_a", "prg_1", "par_a1"),
        ("ten_a", "prg_2", "par_a2"),
    ]


def test_a_changed_email_is_found_by_the_new_address_only(storage: Storage) -> None:
    # GIVEN a participant
    stored = storage.participants.save(participant("ten_a", "prg_1", "par_1", email="old@example.org"))

    # WHEN their e-mail changes
    stored.profile = profile("new@example.org")
    storage.participants.save(stored)

    # THEN the old address finds nobody
    assert storage.participants.by_email("ten_a", "old@example.org") == []
    assert [p.participant_id for p in storage.participants.by_email("ten_a", "new@example.org")] == ["par_1"]


def test_another_tenant_never_sees_a_participant_through_any_read(storage: Storage) -> None:
    # GIVEN tenant A's participant in a programme whose id tenant B uses too
    storage.participants.save(participant("ten_a", "prg_1", "par_1", email="ana@example.org"))

    # WHEN tenant B reads the same ids, lists and looks up the e-mail
    # THEN nothing of A's is visible
    assert storage.participants.get("ten_b", "prg_1", "par_1") is None
    assert storage.participants.list("ten_b", "prg_1").items == []
    assert storage.participants.list("ten_b", "prg_1", status=APPLIED).items == []
    assert storage.participants.by_email("ten_b", "ana@example.org") == []


def test_a_deleted_participant_is_gone_from_every_read(storage: Storage) -> None:
    # GIVEN a stored participant and a colleague
    gone = storage.participants.save(participant("ten_a", "prg_1", "par_1", email="ana@example.org"))
    storage.participants.save(participant("ten_a", "prg_1", "par_2", email="bo@example.org"))

    # WHEN the first is erased
    storage.participants.delete(gone)

    # THEN no read by id, listing, status or e-mail finds them, and the colleague is untouched
    assert storage.participants.get("ten_a", "prg_1", "par_1") is None
    assert [p.participant_id for p in storage.participants.list("ten_a", "prg_1").items] == ["par_2"]
    assert [p.participant_id for p in storage.participants.list("ten_a", "prg_1", status=APPLIED).items] == ["par_2"]
    assert storage.participants.by_email("ten_a", "ana@example.org") == []


def test_a_malformed_cursor_is_rejected_as_invalid_input(storage: Storage) -> None:
    # GIVEN a programme with participants
    for number in range(1, 4):
        storage.participants.save(participant("ten_a", "prg_1", f"par_{number}", email=f"p{number}@example.org"))

    # WHEN a cursor that no listing handed out is passed
    # THEN it is refused as invalid input
    with pytest.raises(ValidationFailed):
        storage.participants.list("ten_a", "prg_1", limit=2, cursor="not a cursor!")


def test_many_participants_are_read_together_and_the_missing_left_out(storage: Storage) -> None:
    # GIVEN 120 participants of one programme and one of another
    for number in range(120):
        storage.participants.save(participant("ten_a", "prg_1", f"par_{number:03d}"))
    storage.participants.save(participant("ten_a", "prg_2", "par_elsewhere"))

    # WHEN they are read by id, with two ids that hold nothing here
    wanted = [f"par_{number:03d}" for number in range(120)] + ["par_elsewhere", "par_nobody"]
    found = storage.participants.get_many("ten_a", "prg_1", wanted)

    # THEN the 120 are found by id, each as stored
    assert sorted(found) == wanted[:120]
    assert found["par_042"].version == 1
