"""Specification of scheduled matching: every due programme, once per programme and matching date."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.matching_run import MatchingLease, scheduled_run_id
from chalicelib.domain.programme import ProgrammeStatus
from chalicelib.services import matching
from chalicelib.services import programmes as programme_service

from .scene import MATCHING_DAY, NOW, TENANT, Scene


def _set_matching_date(scene: Scene, **changes: object) -> None:
    scene.programme = programme_service.update_programme(
        scene.storage,
        tenant_id=TENANT,
        programme_id=scene.programme_id,
        changes=changes,
        expected_version=None,
        clock=scene.clock,
    )


def test_a_programme_is_matched_on_its_matching_date_once_however_often_the_job_runs(scene: Scene) -> None:
    # GIVEN a programme whose matching date is tomorrow
    _set_matching_date(scene, matching_date=MATCHING_DAY + timedelta(days=1))
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentee("Ona Čiurlionytė", "ona@example.lt")

    # WHEN the job runs today, twice tomorrow, and the day after
    today = matching.run_scheduled_matching(scene.storage, scene.notifier, scene.clock)
    scene.clock.advance(timedelta(days=1))
    first = matching.run_scheduled_matching(scene.storage, scene.notifier, scene.clock)
    scene.mentee("Marko Marković", "marko@example.rs")
    second = matching.run_scheduled_matching(scene.storage, scene.notifier, scene.clock)
    scene.clock.advance(timedelta(days=1))
    day_after = matching.run_scheduled_matching(scene.storage, scene.notifier, scene.clock)

    # THEN it ran once, on the date, under the date's run id; the late newcomer waits for a coordinator or next date
    assert today["programmes"] == 0
    assert (first["runs"], first["pairs"]) == (1, 1)
    assert (second["runs"], second["already_run"]) == (0, 1)
    assert (day_after["runs"], day_after["already_run"]) == (0, 1)
    (run,) = scene.storage.runs.list(TENANT, scene.programme_id)
    assert run.run_id == scheduled_run_id(TENANT, scene.programme_id, MATCHING_DAY + timedelta(days=1))
    assert run.trigger == "schedule"
    assert run.matching_date == MATCHING_DAY + timedelta(days=1)
    assert len(scene.pairs()) == 1


def test_a_new_matching_date_is_a_new_round(scene: Scene) -> None:
    # GIVEN a programme matched on its date
    _set_matching_date(scene, matching_date=MATCHING_DAY)
    scene.mentor("Jelena Đorđević", "jelena@example.rs", capacity=2)
    scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    matching.run_scheduled_matching(scene.storage, scene.notifier, scene.clock)

    # WHEN the coordinator sets a second matching date and newcomers arrive
    _set_matching_date(scene, matching_date=MATCHING_DAY + timedelta(days=30))
    scene.mentee("Marko Marković", "marko@example.rs")
    scene.clock.advance(timedelta(days=30))
    counts = matching.run_scheduled_matching(scene.storage, scene.notifier, scene.clock)

    # THEN the second date has its own run, which matches the newcomer
    assert (counts["runs"], counts["pairs"]) == (1, 1)
    assert len(scene.storage.runs.list(TENANT, scene.programme_id)) == 2


def test_closed_and_draft_programmes_are_not_matched_by_the_schedule(scene: Scene) -> None:
    # GIVEN a due programme that has closed
    _set_matching_date(scene, matching_date=MATCHING_DAY, status=ProgrammeStatus.CLOSED)
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentee("Ona Čiurlionytė", "ona@example.lt")

    # WHEN the job runs
    counts = matching.run_scheduled_matching(scene.storage, scene.notifier, scene.clock)

    # THEN nothing is matched
    assert counts["programmes"] == 0
    assert scene.pairs() == []


def test_a_programme_whose_round_is_being_written_is_left_for_the_next_invocation(scene: Scene) -> None:
    # GIVEN a due programme whose lease another run holds
    _set_matching_date(scene, matching_date=MATCHING_DAY)
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    lease = MatchingLease(tenant_id=TENANT, programme_id=scene.programme_id, updated_at=NOW)
    lease.take("run_by_a_coordinator", NOW)
    scene.storage.runs.save_lease(lease)

    # WHEN the job runs now, and again after the lease lapsed
    busy = matching.run_scheduled_matching(scene.storage, scene.notifier, scene.clock)
    scene.clock.advance(timedelta(hours=1))
    later = matching.run_scheduled_matching(scene.storage, scene.notifier, scene.clock)

    # THEN the first invocation skipped it, the later one ran the date's round
    assert (busy["busy"], busy["runs"]) == (1, 0)
    assert later["runs"] == 1
