"""Contract of MatchRunRepository: matching runs of any size and the programme's matching lease."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.domain.matching_run import MatchingLease, MatchRun, RunFigures, UnmatchedEntry
from chalicelib.errors import Conflict, VersionConflict
from tests.support.builders import BELGRADE, VILNIUS, at
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def figures(**fields: Any) -> RunFigures:
    return RunFigures(
        **{
            "mentees": 3,
            "mentors": 2,
            "places": 3,
            "matched": 2,
            "unmatched_mentees": 1,
            "free_places": 1,
            "duplicates": 0,
            "mean_score": 0.1 + 0.2,
            "min_score": 3.0,
            "ranked_choice_share": 0.5,
            "solver": "exact",
            "objective": "max_score",
            **fields,
        }
    )


def unmatched(participant_id: str, **fields: Any) -> UnmatchedEntry:
    return UnmatchedEntry(
        **{
            "participant_id": participant_id,
            "role": "mentee",
            "code": "mentors_full",
            "params": {"fitting_mentors": 2, "ratio": 0.75, "goals": ["vođenje", "Ørsted"], "none": None},
            "sentence": f"All 2 mentors who fit {participant_id} are full.",
            **fields,
        }
    )


def run(tenant_id: str, programme_id: str, run_id: str, **fields: Any) -> MatchRun:
    return MatchRun(
        **{
            "run_id": run_id,
            "tenant_id": tenant_id,
            "programme_id": programme_id,
            "trigger": "api",
            "requested_at": at(0),
            "figures": figures(),
            **fields,
        }
    )


def test_a_stored_run_reads_back_with_every_field_and_number_type(storage: Storage) -> None:
    # GIVEN a finished scheduled run with local times, unmatched people and proposed pairs
    new = run(
        "ten_a",
        "prg_1",
        "run_1",
        trigger="schedule",
        requested_at=at(0).astimezone(BELGRADE),
        finished_at=at(2).astimezone(VILNIUS),
        matching_date=date(2025, 3, 3),
        mentee_ids=["par_ana"],
        unmatched=[unmatched("par_ona"), unmatched("par_jonas", role="mentor", code="spare_capacity", params={})],
        pair_ids=["pair_1", "pair_2"],
        pairs_skipped=1,
    )

    # WHEN it is stored and read back
    stored_now = storage.runs.add(new)
    stored = storage.runs.get("ten_a", "prg_1", "run_1")

    # THEN every value is as stored, at version 1
    assert stored is not None
    assert differences(new.model_copy(update={"version": 1}), stored) == []
    assert differences(stored_now, stored) == []


def test_a_run_of_a_twenty_thousand_person_cohort_reads_back_complete_and_in_order(storage: Storage) -> None:
    # GIVEN a run whose lists are far larger than one DynamoDB item may be
    people = [
        unmatched(f"par_{n:05d}", params={"fitting_mentors": n, "excluded_by": {"shared_language": n}})
        for n in range(6_000)
    ]
    pair_ids = [f"pair_{n:05d}_Đorđević" for n in range(14_000)]
    new = run("ten_a", "prg_1", "run_big", unmatched=people, pair_ids=pair_ids)

    # WHEN it is stored and read back
    storage.runs.add(new)
    stored = storage.runs.get("ten_a", "prg_1", "run_big")

    # THEN nothing is lost or reordered
    assert stored is not None
    assert [e.participant_id for e in stored.unmatched] == [e.participant_id for e in people]
    assert stored.unmatched[4_321] == people[4_321]
    assert stored.pair_ids == pair_ids


def test_a_run_id_that_exists_is_a_conflict_and_the_first_run_stays(storage: Storage) -> None:
    # GIVEN a stored scheduled run
    first = storage.runs.add(run("ten_a", "prg_1", "run_sched", pair_ids=["pair_1"], unmatched=[unmatched("par_a")]))

    # WHEN a second run with the same id is stored
    with pytest.raises(Conflict):
        storage.runs.add(run("ten_a", "prg_1", "run_sched", pair_ids=["pair_9"], unmatched=[]))

    # THEN the first run is unchanged, lists included
    stored = storage.runs.get("ten_a", "prg_1", "run_sched")
    assert stored is not None
    assert differences(first, stored) == []


def test_runs_are_listed_per_programme_newest_first_as_summaries(storage: Storage) -> None:
    # GIVEN runs of one programme at three times, ids that prefix each other, and runs elsewhere
    storage.runs.add(run("ten_a", "prg_1", "run_1", requested_at=at(10), pair_ids=["p1", "p2"]))
    storage.runs.add(run("ten_a", "prg_1", "run_10", requested_at=at(30), unmatched=[unmatched("par_a")]))
    storage.runs.add(run("ten_a", "prg_1", "run_2", requested_at=at(20).astimezone(VILNIUS)))
    storage.runs.add(run("ten_a", "prg_2", "run_3", requested_at=at(40)))
    storage.runs.add(run("ten_b", "prg_1", "run_4", requested_at=at(50)))

    # WHEN the programme's runs are listed
    listed = storage.runs.list("ten_a", "prg_1")

    # THEN they come newest first, with counts instead of lists, and a run's parts never mix with another's
    assert [r.run_id for r in listed] == ["run_10", "run_2", "run_1"]
    assert listed[2].pairs_proposed == 2
    assert listed[0].unmatched_by_reason == {"mentee:mentors_full": 1}
    assert storage.runs.get("ten_a", "prg_1", "run_1").pair_ids == ["p1", "p2"]  # type: ignore[union-attr]
    assert storage.runs.get("ten_a", "prg_1", "run_10").pair_ids == []  # type: ignore[union-attr]
    assert storage.runs.get("ten_a", "prg_1", "run_missing") is None


def test_the_matching_lease_is_taken_by_one_run_only(storage: Storage) -> None:
    # GIVEN no lease yet, read by two runs
    assert storage.runs.lease("ten_a", "prg_1") is None
    first = MatchingLease(tenant_id="ten_a", programme_id="prg_1", updated_at=at(0))
    second = MatchingLease(tenant_id="ten_a", programme_id="prg_1", updated_at=at(0))

    # WHEN both take it
    first.take("run_1", at(1))
    taken = storage.runs.save_lease(first)
    second.take("run_2", at(1))
    with pytest.raises(VersionConflict):
        storage.runs.save_lease(second)

    # THEN the first holds it until it releases it
    stored = storage.runs.lease("ten_a", "prg_1")
    assert stored is not None
    assert differences(taken, stored) == []
    assert stored.held_by_other("run_2", at(2))
    stored.release(at(3))
    storage.runs.save_lease(stored)
    assert not storage.runs.lease("ten_a", "prg_1").held_by_other("run_2", at(4))  # type: ignore[union-attr]


def test_waiting_runs_of_every_tenant_are_found_oldest_first_and_finished_ones_leave_the_queue(
    storage: Storage,
) -> None:
    # GIVEN queued and running runs of two tenants, and a finished and a failed one
    storage.runs.add(run("ten_b", "prg_1", "run_late", requested_at=at(30), status="queued"))
    storage.runs.add(run("ten_a", "prg_1", "run_early", requested_at=at(10), status="queued"))
    storage.runs.add(run("ten_a", "prg_2", "run_busy", requested_at=at(20), status="running", attempts=1))
    storage.runs.add(run("ten_a", "prg_1", "run_done", requested_at=at(5)))
    storage.runs.add(run("ten_a", "prg_1", "run_failed", requested_at=at(6), status="failed", reason="closed"))

    # WHEN the matching job asks for the waiting runs
    waiting = storage.runs.waiting()

    # THEN it gets the queued and running ones, oldest request first
    assert [(r.tenant_id, r.run_id, r.status) for r in waiting] == [
        ("ten_a", "run_early", "queued"),
        ("ten_a", "run_busy", "running"),
        ("ten_b", "run_late", "queued"),
    ]
    assert storage.runs.waiting(limit=1)[0].run_id == "run_early"

    # WHEN one is finished by replacing it
    queued = storage.runs.get("ten_a", "prg_1", "run_early")
    assert queued is not None
    storage.runs.replace(queued.model_copy(update={"status": "done", "pair_ids": ["pair_1"]}))

    # THEN it leaves the queue and reads back finished with its lists
    assert [r.run_id for r in storage.runs.waiting()] == ["run_busy", "run_late"]
    finished = storage.runs.get("ten_a", "prg_1", "run_early")
    assert finished is not None
    assert (finished.status, finished.pair_ids, finished.version) == ("done", ["pair_1"], 2)


def test_of_two_claims_on_one_queued_run_only_the_first_is_stored(storage: Storage) -> None:
    # GIVEN a queued run read by two job instances
    storage.runs.add(run("ten_a", "prg_1", "run_q", status="queued"))
    mine = storage.runs.get("ten_a", "prg_1", "run_q")
    theirs = storage.runs.get("ten_a", "prg_1", "run_q")
    assert mine is not None
    assert theirs is not None

    # WHEN both claim it
    mine.claim(at(1))
    storage.runs.replace(mine)
    theirs.claim(at(1))

    # THEN the second claim is refused and the first one stands
    with pytest.raises(VersionConflict):
        storage.runs.replace(theirs)
    stored = storage.runs.get("ten_a", "prg_1", "run_q")
    assert stored is not None
    assert (stored.status, stored.attempts, stored.claimed_until) == ("running", 1, mine.claimed_until)
