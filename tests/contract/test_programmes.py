"""Contract of ProgrammeRepository: versioned programmes, per-tenant listing and the matching-date index."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.matching.policy import MatchingPolicy, MatchWeights
from chalicelib.domain.programme import Coordinator, Milestone, MilestoneKind, ProgrammeStatus, ReminderPolicy
from chalicelib.errors import VersionConflict
from tests.support.builders import BELGRADE, VILNIUS, at, programme
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def test_a_saved_programme_reads_back_with_every_field(storage: Storage) -> None:
    # GIVEN a programme using every kind of value: local times, dates, nested policies with
    # floats, a None where the default is a number, and names in several scripts
    new = programme(
        "ten_a",
        "prg_1",
        name="Program mentorstva Đorđević – Čiurlionytė",
        cycle_start=date(2025, 3, 1),
        cycle_end=date(2025, 11, 30),
        matching_date=date(2025, 3, 14),
        timezone="Europe/Belgrade",
        languages=["sr", "lt", "da"],
        default_language="sr",
        max_mentees=12,
        milestones=[Milestone(kind=MilestoneKind.KICK_OFF, date=date(2025, 3, 20), title="Početak – Søren Ærø")],
        matching=MatchingPolicy(max_timezone_gap_hours=2.5, weights=MatchWeights(tags=0.1 + 0.2, seniority=3.0)),
        reminders=ReminderPolicy(close_after_escalation_days=None, milestone_notice_days=[14, 3]),
        coordinator_email="koordinator@example.org",
        created_at=at(0).astimezone(BELGRADE),
        updated_at=at(30).astimezone(VILNIUS),
    )

    # WHEN it is saved and read back
    saved = storage.programmes.save(new)
    stored = storage.programmes.get("ten_a", "prg_1")

    # THEN nothing is lost or changed in type, and the version counts the write
    assert stored is not None
    assert saved.version == 1
    assert differences(new.model_copy(update={"version": 1}), stored) == []
    assert stored.matching.weights.tags == 0.1 + 0.2
    assert stored.reminders.close_after_escalation_days is None


def test_saving_a_second_new_programme_with_a_taken_id_is_a_version_conflict(storage: Storage) -> None:
    # GIVEN a stored programme
    storage.programmes.save(programme("ten_a", "prg_1", name="First"))

    # WHEN another never-stored programme (version 0) with the same id is saved
    with pytest.raises(VersionConflict):
        storage.programmes.save(programme("ten_a", "prg_1", name="Second"))

    # THEN the first one is kept
    stored = storage.programmes.get("ten_a", "prg_1")
    assert stored is not None
    assert (stored.name, stored.version) == ("First", 1)


def test_stale_save_is_rejected_and_keeps_the_newer_record(storage: Storage) -> None:
    # GIVEN a programme read by two coordinators
    storage.programmes.save(programme("ten_a", "prg_1"))
    mine = storage.programmes.get("ten_a", "prg_1")
    theirs = storage.programmes.get("ten_a", "prg_1")
    assert mine is not None
    assert theirs is not None

    # WHEN one saves a change and the other then saves a change to its older copy
    mine.max_mentees = 5
    newer = storage.programmes.save(mine)
    theirs.max_mentees = 99
    with pytest.raises(VersionConflict):
        storage.programmes.save(theirs)

    # THEN the newer record stays
    stored = storage.programmes.get("ten_a", "prg_1")
    assert stored is not None
    assert (stored.max_mentees, stored.version) == (5, 2)
    assert differences(newer, stored) == []


def test_programmes_are_listed_per_tenant_in_id_order(storage: Storage) -> None:
    # GIVEN three programmes of tenant A saved out of order, and one of tenant B
    for programme_id in ("prg_c", "prg_a", "prg_b"):
        storage.programmes.save(programme("ten_a", programme_id))
    storage.programmes.save(programme("ten_b", "prg_x"))

    # WHEN each tenant's programmes are listed
    listed_a = storage.programmes.list("ten_a")
    listed_b = storage.programmes.list("ten_b")

    # THEN each sees only its own, by id
    assert [p.programme_id for p in listed_a] == ["prg_a", "prg_b", "prg_c"]
    assert [(p.tenant_id, p.programme_id) for p in listed_b] == [("ten_b", "prg_x")]
    assert storage.programmes.get("ten_b", "prg_a") is None


def test_programmes_due_for_matching_span_tenants_up_to_and_including_the_day(storage: Storage) -> None:
    # GIVEN programmes of two tenants with matching dates around 5 March, and one with none
    storage.programmes.save(programme("ten_b", "prg_b1", matching_date=date(2025, 3, 5)))
    storage.programmes.save(programme("ten_a", "prg_a1", matching_date=date(2025, 3, 1)))
    storage.programmes.save(programme("ten_a", "prg_a2", matching_date=date(2025, 3, 6)))
    storage.programmes.save(programme("ten_a", "prg_a3"))

    # WHEN the scheduler asks late on 5 March
    due = storage.programmes.due_for_matching(datetime(2025, 3, 5, 23, 59, tzinfo=UTC))

    # THEN the programmes of both tenants dated up to that day come, oldest date first
    assert [(p.tenant_id, p.programme_id) for p in due] == [("ten_a", "prg_a1"), ("ten_b", "prg_b1")]


def test_a_programme_whose_matching_date_is_cleared_or_moved_leaves_the_due_list(storage: Storage) -> None:
    # GIVEN two programmes due for matching
    first = storage.programmes.save(programme("ten_a", "prg_1", matching_date=date(2025, 3, 1)))
    second = storage.programmes.save(programme("ten_a", "prg_2", matching_date=date(2025, 3, 2)))

    # WHEN one has its date cleared (matched) and the other is postponed
    first.matching_date = None
    storage.programmes.save(first)
    second.matching_date = date(2025, 4, 1)
    storage.programmes.save(second)

    # THEN neither is due any more, and a later day finds the postponed one
    assert storage.programmes.due_for_matching(datetime(2025, 3, 31, tzinfo=UTC)) == []
    later = storage.programmes.due_for_matching(datetime(2025, 4, 1, tzinfo=UTC))
    assert [p.programme_id for p in later] == ["prg_2"]


def test_open_programmes_naming_coordinators_are_listed_across_tenants_and_a_closed_one_leaves(
    storage: Storage,
) -> None:
    # GIVEN programmes of two tenants naming coordinators, one without, and one closed
    mojca = Coordinator(name="Mojca Kranjc", email="mojca@skupnost.example.org", language="sl")
    storage.programmes.save(programme("ten_b", "prg_b1", coordinators=[mojca]))
    storage.programmes.save(programme("ten_a", "prg_a1", coordinators=[mojca]))
    storage.programmes.save(programme("ten_a", "prg_a2"))
    closing = storage.programmes.save(programme("ten_a", "prg_a3", coordinators=[mojca]))

    # WHEN one closes and the digest asks
    closing.status = ProgrammeStatus.CLOSED
    storage.programmes.save(closing)
    listed = storage.programmes.coordinated()

    # THEN both tenants' open coordinated programmes come, each once, with their coordinators
    assert [(p.tenant_id, p.programme_id) for p in listed] == [("ten_a", "prg_a1"), ("ten_b", "prg_b1")]
    assert listed[0].coordinators == [mojca]
