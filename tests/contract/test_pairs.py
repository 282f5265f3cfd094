"""Contract of PairRepository: pairs, the reminder sweep's due index and the pairs awaiting a mentor's answer."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.common import StatusChange
from chalicelib.domain.pair import PairStatus
from chalicelib.errors import VersionConflict
from tests.support.builders import BELGRADE, VILNIUS, at, pair
from tests.support.compare import differences

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


def test_pairs_awaiting_the_mentor_come_by_deadline_across_tenants_until_answered(storage: Storage) -> None:
    # GIVEN approved pairs waiting for mentors of two tenants, one approved without a deadline, one proposed
    storage.pairs.save(pair("ten_a", "prg_1", "pair_late", status=PairStatus.APPROVED, accept_by=at(30)))
    storage.pairs.save(pair("ten_b", "prg_9", "pair_b", status=PairStatus.APPROVED, accept_by=at(10)))
    answered = storage.pairs.save(
        pair("ten_a", "prg_1", "pair_first", status=PairStatus.APPROVED, accept_by=at(5).astimezone(VILNIUS))
    )
    storage.pairs.save(pair("ten_a", "prg_1", "pair_no_deadline", status=PairStatus.APPROVED))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_proposed", accept_by=at(1)))

    # WHEN the sweep asks at minute 10, then again after the first mentor accepted
    due = storage.pairs.awaiting_mentor(at(10))
    first_only = storage.pairs.awaiting_mentor(at(10), limit=1)
    answered.move_to(PairStatus.ACTIVE, at=at(11))
    storage.pairs.save(answered)
    after = storage.pairs.awaiting_mentor(at(10) + timedelta(minutes=30))

    # THEN only waiting pairs come, earliest deadline first, and an answered one leaves the list
    assert [p.pair_id for p in due] == ["pair_first", "pair_b"]
    assert [p.pair_id for p in first_only] == ["pair_first"]
    assert [p.pair_id for p in after] == ["pair_b", "pair_late"]
