"""Matching runs larger than an API call: queued and run by the matching job, or refused with a reason.

The budgets are the container's, so these cohorts are small and the budgets tight: an
API budget below the engine's fixed working memory sends every real run to the job.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.matching.budget import JOB_BUDGET, MatchingBudget, RunBudgets
from chalicelib.domain.matching_run import LEASE_DURATION, MAX_RUN_ATTEMPTS
from chalicelib.domain.pair import PairStatus
from chalicelib.jobs import JOBS, run_job
from chalicelib.schedules import Rate
from tests.support.world import V1, TenantHandle, World

#: Below the engine's fixed working memory: no cohort fits an API call.
TOO_SMALL = MatchingBudget(memory_mb=100.0, seconds=20.0)


@pytest.fixture
def queueing(world: World) -> World:
    world.container._matching_budgets = RunBudgets(api=TOO_SMALL, job=JOB_BUDGET)
    return world


def cohort(coordinator: TenantHandle) -> str:
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    coordinator.enrol(programme_id, "mentor", "Søren Ærø", "soren@example.dk", tags=["salg"])
    coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", tags=["vođenje"])
    coordinator.enrol(programme_id, "mentee", "Ana Novak", "ana@example.si", tags=["salg"])
    return programme_id


def start(coordinator: TenantHandle, programme_id: str, **body: Any) -> Any:
    return coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", body)


def read_run(coordinator: TenantHandle, programme_id: str, run_id: str) -> dict[str, Any]:
    response = coordinator.get(f"{V1}/programmes/{programme_id}/matching-runs/{run_id}")
    assert response.status_code == 200, response.json_body
    return dict(response.json_body)


def test_the_queued_matching_job_has_its_own_rate_and_a_large_function() -> None:
    # GIVEN / WHEN the job list and the deployed functions' configuration
    import json
    from pathlib import Path

    config = json.loads(Path(".chalice/config.json").read_text())

    # THEN the queue is swept every five minutes by a 3,008 MB, 900 s function in every stage
    assert JOBS["run-queued-matching"].schedule == Rate(minutes=5)
    for stage in ("dev", "prod"):
        function = config["stages"][stage]["lambda_functions"]["run-queued-matching"]
        assert (function["lambda_memory_size"], function["lambda_timeout"]) == (3008, 900)


def test_a_run_too_large_for_an_api_call_is_queued_then_completed_by_the_job_once(queueing: World) -> None:
    # GIVEN a cohort larger than an API call may match
    coordinator = queueing.tenant()
    programme_id = cohort(coordinator)

    # WHEN the coordinator starts a real run
    response = start(coordinator, programme_id)

    # THEN it answers at once with the queued run to poll, and nothing is proposed yet
    assert response.status_code == 202, response.json_body
    run = response.json_body["run"]
    assert run["status"] == "queued"
    assert "matching job" in run["reason"]
    assert response.headers["Location"] == f"{V1}/programmes/{programme_id}/matching-runs/{run['run_id']}"
    assert read_run(coordinator, programme_id, run["run_id"])["status"] == "queued"
    assert queueing.storage.pairs.list(coordinator.tenant_id, programme_id) == []

    # WHEN the matching job runs, and runs again
    first = run_job("run-queued-matching", queueing.container)
    second = run_job("run-queued-matching", queueing.container)

    # THEN the run is done with both pairs proposed, computed once
    assert (first["runs"], first["pairs"]) == (1, 2)
    assert second["runs"] == 0
    done = read_run(coordinator, programme_id, run["run_id"])
    assert done["status"] == "done"
    assert done["requested_at"] == run["requested_at"]
    assert done["figures"]["matched"] == 2
    pairs = queueing.storage.pairs.list(coordinator.tenant_id, programme_id)
    assert sorted(p.pair_id for p in pairs) == sorted(done["pair_ids"])
    assert {p.status for p in pairs} == {PairStatus.PROPOSED}
    assert {p.run_id for p in pairs} == {run["run_id"]}


def test_a_run_claimed_by_another_job_instance_is_left_to_it_until_its_claim_lapses(queueing: World) -> None:
    # GIVEN a queued run that another instance of the job claimed, then was stopped in
    coordinator = queueing.tenant()
    programme_id = cohort(coordinator)
    run_id = start(coordinator, programme_id).json_body["run"]["run_id"]
    stored = queueing.storage.runs.get(coordinator.tenant_id, programme_id, run_id)
    assert stored is not None
    stored.claim(queueing.clock.now())
    queueing.storage.runs.replace(stored)

    # WHEN this instance sweeps the queue while the claim holds
    during = run_job("run-queued-matching", queueing.container)

    # THEN it leaves the run alone
    assert (during["runs"], during["claimed_elsewhere"]) == (0, 1)
    assert read_run(coordinator, programme_id, run_id)["status"] == "running"
    assert queueing.storage.pairs.list(coordinator.tenant_id, programme_id) == []

    # WHEN the claim has lapsed and the job sweeps again
    queueing.clock.advance(LEASE_DURATION + timedelta(seconds=1))
    after = run_job("run-queued-matching", queueing.container)

    # THEN this instance completes it, as its second attempt
    assert (after["runs"], after["pairs"]) == (1, 2)
    done = read_run(coordinator, programme_id, run_id)
    assert (done["status"], done["attempts"]) == ("done", 2)


def test_a_run_whose_job_keeps_stopping_ends_failed_with_a_reason(queueing: World) -> None:
    # GIVEN a queued run whose every claim lapsed without an answer
    coordinator = queueing.tenant()
    programme_id = cohort(coordinator)
    run_id = start(coordinator, programme_id).json_body["run"]["run_id"]
    for _ in range(MAX_RUN_ATTEMPTS):
        stored = queueing.storage.runs.get(coordinator.tenant_id, programme_id, run_id)
        assert stored is not None
        stored.claim(queueing.clock.now())
        queueing.storage.runs.replace(stored)
        queueing.clock.advance(LEASE_DURATION + timedelta(seconds=1))

    # WHEN the job sweeps the queue
    counts = run_job("run-queued-matching", queueing.container)

    # THEN the run is failed, saying why, and is not tried again
    assert counts["failed"] == 1
    failed = read_run(coordinator, programme_id, run_id)
    assert failed["status"] == "failed"
    assert f"stopped {MAX_RUN_ATTEMPTS} times" in failed["reason"]
    assert queueing.storage.runs.waiting() == []


def test_a_queued_run_of_a_programme_closed_meanwhile_fails_with_a_reason(queueing: World) -> None:
    # GIVEN a queued run, and its programme closed before the job came
    coordinator = queueing.tenant()
    programme_id = cohort(coordinator)
    run_id = start(coordinator, programme_id).json_body["run"]["run_id"]
    programme = coordinator.get(f"{V1}/programmes/{programme_id}").json_body
    closed = coordinator.patch(f"{V1}/programmes/{programme_id}", {"status": "closed", "version": programme["version"]})
    assert closed.status_code == 200, closed.json_body

    # WHEN the job sweeps the queue
    run_job("run-queued-matching", queueing.container)

    # THEN the run failed, saying why, and proposed nobody
    failed = read_run(coordinator, programme_id, run_id)
    assert (failed["status"], failed["reason"]) == ("failed", "the programme was closed before the run could start")
    assert queueing.storage.pairs.list(coordinator.tenant_id, programme_id) == []


def test_a_run_too_large_even_for_the_job_is_refused_with_the_estimates_and_nothing_is_stored(world: World) -> None:
    # GIVEN budgets that no solver fits, in the API call or the job
    world.container._matching_budgets = RunBudgets(api=TOO_SMALL, job=TOO_SMALL)
    coordinator = world.tenant()
    programme_id = cohort(coordinator)

    # WHEN the coordinator starts a real run
    response = start(coordinator, programme_id)

    # THEN it is refused with the estimates and what to do, and nothing is stored
    assert response.status_code == 422, response.json_body
    error = response.json_body
    assert error["error"] == "matching_budget_exceeded"
    assert "smaller groups" in error["message"]
    assert {e["solver"] for e in error["details"]["estimates"]} >= {"exact", "stable"}
    assert world.storage.runs.list(coordinator.tenant_id, programme_id) == []
    assert world.storage.pairs.list(coordinator.tenant_id, programme_id) == []


def test_a_dry_run_too_large_for_an_api_call_is_refused_since_a_preview_cannot_wait(queueing: World) -> None:
    # GIVEN a cohort larger than an API call may match
    coordinator = queueing.tenant()
    programme_id = cohort(coordinator)

    # WHEN the coordinator previews it
    response = start(coordinator, programme_id, dry_run=True)

    # THEN the preview is refused with the reason, and nothing is queued
    assert response.status_code == 422, response.json_body
    assert "a dry run must fit an API call" in response.json_body["message"]
    assert queueing.storage.runs.waiting() == []
