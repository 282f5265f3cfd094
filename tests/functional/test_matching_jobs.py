"""The matching jobs as the scheduler runs them: matching on the programme's date, and expiring unanswered requests."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from chalicelib.domain.pair import PairStatus
from chalicelib.domain.participant import ParticipantStatus
from chalicelib.jobs import JOBS, run_job
from chalicelib.schedules import Rate
from tests.support.world import START, V1, World

TODAY = START.date()


def test_both_matching_jobs_are_registered_with_their_rates() -> None:
    # GIVEN / WHEN the job list
    # THEN matching runs daily and the expiry sweep hourly
    assert JOBS["run-scheduled-matching"].schedule == Rate(minutes=24 * 60)
    assert JOBS["expire-acceptances"].schedule == Rate(minutes=60)


def test_the_scheduled_job_matches_a_due_programme_once_per_matching_date(world: World) -> None:
    # GIVEN a programme whose matching date is today, and one whose date is next week
    coordinator = world.tenant()
    due = coordinator.programme(matching_date=TODAY.isoformat())
    later = coordinator.programme(name="Later", matching_date=(TODAY + timedelta(days=7)).isoformat())
    for programme_id in (due, later):
        coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
        coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")

    # WHEN the job runs, and runs again the same day
    first = run_job("run-scheduled-matching", world.container)
    second = run_job("run-scheduled-matching", world.container)

    # THEN only the due programme was matched, once, by a scheduled run for its date
    assert (first["runs"], first["pairs"]) == (1, 1)
    assert (second["runs"], second["already_run"]) == (0, 1)
    runs = coordinator.get(f"{V1}/programmes/{due}/matching-runs").json_body["items"]
    assert [(r["trigger"], r["matching_date"]) for r in runs] == [("schedule", TODAY.isoformat())]
    assert len(world.storage.pairs.list(coordinator.tenant_id, due)) == 1
    assert world.storage.pairs.list(coordinator.tenant_id, later) == []


def test_priority_earned_on_the_waiting_list_wins_the_next_scheduled_round(world: World) -> None:
    # GIVEN a round today with one place for two mentees with the same goal
    coordinator = world.tenant()
    programme_id = coordinator.programme(matching_date=TODAY.isoformat())
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    for name, email in (("Ona Čiurlionytė", "ona@example.lt"), ("Marko Marković", "marko@example.rs")):
        coordinator.enrol(programme_id, "mentee", name, email, tags=["vođenje"])
    run_job("run-scheduled-matching", world.container)
    (waiting,) = [
        p
        for p in world.storage.participants.list(coordinator.tenant_id, programme_id).items
        if p.status is ParticipantStatus.WAITLISTED
    ]
    assert waiting.priority == 1

    # WHEN a new mentor and an equal newcomer join, and the next round is a month later
    next_date = TODAY + timedelta(days=30)
    programme = coordinator.get(f"{V1}/programmes/{programme_id}").json_body
    coordinator.patch(
        f"{V1}/programmes/{programme_id}", {"matching_date": next_date.isoformat(), "version": programme["version"]}
    )
    coordinator.enrol(programme_id, "mentor", "Søren Ærø", "soren@example.dk", tags=["vođenje"])
    newcomer = coordinator.enrol(programme_id, "mentee", "Ana Novak", "ana@example.si", tags=["vođenje"])
    world.clock.advance(timedelta(days=30))
    counts = run_job("run-scheduled-matching", world.container)

    # THEN the one who waited gets the new place and the newcomer waits
    assert counts["pairs"] == 1
    proposed = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?status=proposed").json_body["items"]
    assert waiting.participant_id in {p["mentee_id"] for p in proposed}
    assert newcomer not in {p["mentee_id"] for p in proposed}
    stored = world.storage.participants.get(coordinator.tenant_id, programme_id, newcomer)
    assert stored is not None
    assert (stored.status, stored.priority) == (ParticipantStatus.WAITLISTED, 1)


def test_the_expiry_job_expires_unanswered_requests_and_proposes_the_next_best_fit(world: World) -> None:
    # GIVEN a programme whose mentors accept within three days, and a request Jelena leaves unanswered
    coordinator = world.tenant()
    programme_id = coordinator.programme(matching={"mentor_acceptance_days": 3})
    jelena = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    soren = coordinator.enrol(programme_id, "mentor", "Søren Ærø", "soren@example.dk")
    ona = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", tags=["vođenje"])
    report = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {"dry_run": False}).json_body
    (proposal,) = report["proposals"]
    assert proposal["mentor_id"] == jelena
    coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}/approve")

    # WHEN the hourly job runs before and after her deadline
    before = run_job("expire-acceptances", world.container)
    world.clock.advance(timedelta(days=3, hours=1))
    after = run_job("expire-acceptances", world.container)

    # THEN only the late run expires the pair; Ona is back in the pool and proposed to Søren
    assert before["expired"] == 0
    assert (after["expired"], after["rematched"]) == (1, 1)
    expired = world.storage.pairs.get(coordinator.tenant_id, programme_id, proposal["pair_id"])
    assert expired is not None
    assert expired.status is PairStatus.EXPIRED
    ona_now = world.storage.participants.get(coordinator.tenant_id, programme_id, ona)
    assert ona_now is not None
    assert ona_now.status is ParticipantStatus.ACCEPTED
    proposed = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?status=proposed").json_body["items"]
    assert [(p["mentee_id"], p["mentor_id"]) for p in proposed] == [(ona, soren)]


def test_the_matching_lifecycle_logs_ids_and_counts_but_no_names_addresses_or_goals(
    world: World, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a programme matched on its date, with mentor acceptance and a private goal
    caplog.set_level(logging.DEBUG, logger="mentorflow")
    caplog.set_level(logging.INFO)
    coordinator = world.tenant()
    programme_id = coordinator.programme(matching_date=TODAY.isoformat(), matching={"mentor_acceptance_days": 2})
    coordinator.enrol(programme_id, "mentor", "Dragana Đorđević", "dragana@example.rs", tags=["burnout recovery"])
    coordinator.enrol(programme_id, "mentor", "Søren Ærø", "soren@example.dk", tags=["burnout recovery"])
    coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", tags=["burnout recovery"])
    coordinator.enrol(programme_id, "mentee", "Marko Marković", "marko@example.rs", languages=["sr"])

    # WHEN the round runs, is approved, the request expires, the rematch is approved and accepted, and it ends early
    run_job("run-scheduled-matching", world.container)
    (run,) = coordinator.get(f"{V1}/programmes/{programme_id}/matching-runs").json_body["items"]
    coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs/{run['run_id']}/approve-all")
    world.clock.advance(timedelta(days=3))
    run_job("expire-acceptances", world.container)
    (rematch,) = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?status=proposed").json_body["items"]
    pair_path = f"{V1}/programmes/{programme_id}/pairs/{rematch['pair_id']}"
    coordinator.post(f"{pair_path}/approve")
    coordinator.post(f"{pair_path}/accept")
    coordinator.post(f"{pair_path}/end", {"reason": "private: burnout relapse", "outcome": "ended_early"})

    # THEN the logs tell what happened by id, and nothing personal
    captured = capsys.readouterr()
    fields = [vars(record) for record in caplog.records]
    logged = captured.out + captured.err + caplog.text + repr(fields)
    assert "matching run finished" in logged
    assert any(f.get("pair_id") == rematch["pair_id"] and f.get("state") == "ended_early" for f in fields)
    for personal in (
        "Dragana",
        "Đorđević",
        "Ærø",
        "Čiurlionytė",
        "Marković",
        "@example",
        "burnout",
        "is matched with",
    ):
        assert personal not in logged
