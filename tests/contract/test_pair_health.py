"""Contract of PairRepository's health index: a programme's running pairs by meeting-health state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.meetings import HealthState
from chalicelib.domain.pair import PairStatus
from tests.support.builders import at, pair

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def test_running_pairs_are_found_by_their_health_within_their_programme_only(storage: Storage) -> None:
    # GIVEN running pairs in two programmes and states, one closed and one awaiting its mentor
    storage.pairs.save(pair("ten_a", "prg_1", "pair_b", status=PairStatus.ACTIVE, health=HealthState.OVERDUE))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_a", status=PairStatus.APPROVED, health=HealthState.OVERDUE))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_ok", status=PairStatus.ACTIVE, health=HealthState.ON_TRACK))
    storage.pairs.save(pair("ten_a", "prg_2", "pair_other", status=PairStatus.ACTIVE, health=HealthState.OVERDUE))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_done", status=PairStatus.COMPLETED, health=HealthState.OVERDUE))
    storage.pairs.save(
        pair("ten_a", "prg_1", "pair_wait", status=PairStatus.APPROVED, accept_by=at(60), health=HealthState.OVERDUE)
    )

    # WHEN the overdue pairs of programme 1 are asked for
    overdue = storage.pairs.by_health("ten_a", "prg_1", HealthState.OVERDUE)

    # THEN only its running overdue pairs come, by id
    assert [p.pair_id for p in overdue] == ["pair_a", "pair_b"]
    assert [p.pair_id for p in storage.pairs.by_health("ten_a", "prg_1", HealthState.ON_TRACK)] == ["pair_ok"]


def test_a_pair_leaves_its_old_health_state_when_its_health_changes_or_it_closes(storage: Storage) -> None:
    # GIVEN an overdue running pair
    saved = storage.pairs.save(pair("ten_a", "prg_1", "pair_1", status=PairStatus.ACTIVE, health=HealthState.OVERDUE))

    # WHEN it meets (on track again), and then completes
    saved.health = HealthState.ON_TRACK
    saved = storage.pairs.save(saved)
    on_track = [p.pair_id for p in storage.pairs.by_health("ten_a", "prg_1", HealthState.ON_TRACK)]
    saved.move_to(PairStatus.COMPLETED, at=at(5))
    storage.pairs.save(saved)

    # THEN it was found under its new state only, and under none once closed
    assert on_track == ["pair_1"]
    assert storage.pairs.by_health("ten_a", "prg_1", HealthState.OVERDUE) == []
    assert storage.pairs.by_health("ten_a", "prg_1", HealthState.ON_TRACK) == []
