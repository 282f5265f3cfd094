"""Matching through the admin API as a coordinator uses it: run, review, answer for the mentor, end, withdraw."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.matching_run import MatchingLease
from chalicelib.domain.message import Message
from chalicelib.domain.pair import PairStatus
from chalicelib.domain.participant import Participant, ParticipantStatus, Profile, Role
from tests.support.world import START, V1, TenantHandle, World


def run(coordinator: TenantHandle, programme_id: str, *, dry_run: bool = False) -> dict[str, Any]:
    response = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {"dry_run": dry_run})
    assert response.status_code == 201, response.json_body
    return dict(response.json_body)


def status_of(world: World, coordinator: TenantHandle, programme_id: str, participant_id: str) -> ParticipantStatus:
    person = world.storage.participants.get(coordinator.tenant_id, programme_id, participant_id)
    assert person is not None
    return person.status


def matching_messages_to(world: World, coordinator: TenantHandle, participant_id: str) -> list[Message]:
    """What the matching told the person: every enrolment's welcome is specified with enrolment."""
    messages = world.storage.messages.for_participant(coordinator.tenant_id, participant_id)
    return [m for m in messages if m.template != "welcome"]


def templates_to(world: World, coordinator: TenantHandle, participant_id: str) -> list[tuple[str, str]]:
    return sorted((m.template, m.language) for m in matching_messages_to(world, coordinator, participant_id))


def test_a_slovenian_programme_reads_its_proposals_and_reasons_in_slovenian_naming_people(world: World) -> None:
    # GIVEN a Slovenian programme with one mentor place and two mentees
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["sl", "en"], default_language="sl")
    coordinator.enrol(programme_id, "mentor", "Mojca Kranjc", "mojca@example.si", tags=["vodenje"])
    coordinator.enrol(programme_id, "mentee", "Ana Novak", "ana@example.si", tags=["vodenje"])
    coordinator.enrol(programme_id, "mentee", "Luka Zupan", "luka@example.si")

    # WHEN the coordinator previews the matching
    report = run(coordinator, programme_id, dry_run=True)

    # THEN the figures are at the top, and the sentences are Slovenian, name people and show no ids
    assert report["figures"]["matched"] == 1
    (proposal,) = report["proposals"]
    assert proposal["explanation"].startswith("Ana Novak in Mojca Kranjc: skupni cilji vodenje")
    (unmatched,) = report["run"]["unmatched"]
    assert unmatched["sentence"] == "Mentorji, ki ustrezajo osebi Luka Zupan, so zasedeni."
    assert "par_" not in proposal["explanation"] + unmatched["sentence"]
    assert sorted(report["names"].values()) == ["Ana Novak", "Luka Zupan", "Mojca Kranjc"]

    # ... and so do the stored proposal's listing and reading, once the run is real
    run(coordinator, programme_id)
    (listed,) = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?status=proposed").json_body["items"]
    read = coordinator.get(f"{V1}/programmes/{programme_id}/pairs/{listed['pair_id']}").json_body
    assert listed["explanation"] == read["explanation"] == proposal["explanation"]


def test_every_pair_action_answers_the_pair_and_its_rematch(world: World) -> None:
    # GIVEN a proposal
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
    coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")
    (proposal,) = run(coordinator, programme_id)["proposals"]
    path = f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}"

    # WHEN it is approved, then completed
    approved = coordinator.post(f"{path}/approve")
    completed = coordinator.post(f"{path}/end", {"reason": "goals reached", "outcome": "completed"})

    # THEN both answer {pair, rematch}, and a pair approved without mentor acceptance can complete
    assert set(approved.json_body) == set(completed.json_body) == {"pair", "rematch", "rematch_deferred"}
    assert approved.json_body["pair"]["status"] == "approved"
    assert (completed.status_code, completed.json_body["pair"]["status"]) == (200, "completed")


def test_a_run_answers_201_with_proposals_figures_and_the_unmatched_with_reasons(world: World) -> None:
    # GIVEN a mentor with one place and two mentees, one of whom fits her goals
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    mentor = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    ona = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", tags=["vođenje"])
    marko = coordinator.enrol(programme_id, "mentee", "Marko Marković", "marko@example.rs", language="sr")

    # WHEN the coordinator runs the matching
    report = run(coordinator, programme_id)

    # THEN Ona is proposed to Jelena with an explanation, Marko is unmatched with a reason and waitlisted
    (proposal,) = report["proposals"]
    assert (proposal["mentee_id"], proposal["mentor_id"]) == (ona, mentor)
    assert proposal["explanation"]
    assert {"code": "shared_goals", "params": {"goals": ["vođenje"], "mentee_goal_count": 1}} in proposal["reasons"]
    figures = report["run"]["figures"]
    assert (figures["matched"], figures["mentees"], figures["mentors"]) == (1, 2, 1)
    assert figures["solver"] == "exact"
    (unmatched,) = report["run"]["unmatched"]
    assert (unmatched["participant_id"], unmatched["code"]) == (marko, "mentors_full")
    assert unmatched["sentence"]
    pair = world.storage.pairs.get(coordinator.tenant_id, programme_id, proposal["pair_id"])
    assert pair is not None
    assert pair.status is PairStatus.PROPOSED
    assert status_of(world, coordinator, programme_id, marko) is ParticipantStatus.WAITLISTED
    assert templates_to(world, coordinator, marko) == [("waitlisted", "sr")]


def test_a_dry_run_shows_the_same_proposals_and_stores_and_sends_nothing(world: World) -> None:
    # GIVEN a small cohort
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
    coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")
    coordinator.enrol(programme_id, "mentee", "Marko Marković", "marko@example.rs")

    queued_before = world.storage.messages.by_state("pending")  # type: ignore[arg-type]

    # WHEN the coordinator previews the matching
    report = run(coordinator, programme_id, dry_run=True)

    # THEN the preview has its figures at the top, a proposal and an unmatched mentee, and nothing was written
    assert report["run"]["dry_run"] is True
    assert (report["figures"]["matched"], report["figures"]["mentees"]) == (1, 2)
    assert [p["pair_id"] for p in report["proposals"]] == [None]
    assert len(report["run"]["unmatched"]) == 1
    assert world.storage.pairs.list(coordinator.tenant_id, programme_id) == []
    assert coordinator.get(f"{V1}/programmes/{programme_id}/matching-runs").json_body["items"] == []
    assert world.storage.messages.by_state("pending") == queued_before  # type: ignore[arg-type]
    people = world.storage.participants.list(coordinator.tenant_id, programme_id).items
    assert {p.status for p in people} == {ParticipantStatus.ACCEPTED}


def test_approving_a_pair_matches_both_and_queues_one_message_each_in_their_language(world: World) -> None:
    # GIVEN a proposal between a Danish mentor and a Lithuanian mentee
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["en", "da", "lt"], default_language="en")
    soren = coordinator.enrol(programme_id, "mentor", "Søren Ærø", "soren@example.dk", language="da")
    ona = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", language="lt")
    (proposal,) = run(coordinator, programme_id)["proposals"]

    # WHEN the coordinator approves it
    response = coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}/approve")

    # THEN the pair is approved, both are matched, and each has one message in their own language
    assert response.status_code == 200
    assert response.json_body["pair"]["status"] == "approved"
    assert status_of(world, coordinator, programme_id, ona) is ParticipantStatus.MATCHED
    assert status_of(world, coordinator, programme_id, soren) is ParticipantStatus.MATCHED
    assert templates_to(world, coordinator, ona) == [("match_approved_mentee", "lt")]
    assert templates_to(world, coordinator, soren) == [("match_approved_mentor", "da")]
    (to_ona,) = matching_messages_to(world, coordinator, ona)
    assert "soren@example.dk" in to_ona.body_text


def test_approve_all_approves_every_proposal_of_a_run(world: World) -> None:
    # GIVEN a run with two proposals
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    mentor = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", capacity=2)
    mentees = [
        coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt"),
        coordinator.enrol(programme_id, "mentee", "Marko Marković", "marko@example.rs", language="sr"),
    ]
    run_id = run(coordinator, programme_id)["run"]["run_id"]

    # WHEN the coordinator approves the whole run
    response = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs/{run_id}/approve-all")

    # THEN both pairs are approved, everyone is matched, and each mentee and the mentor are told per pair
    assert response.status_code == 200
    assert len(response.json_body["approved"]) == 2
    assert response.json_body["skipped"] == []
    approved = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?status=approved").json_body["items"]
    assert len(approved) == 2
    for person in [mentor, *mentees]:
        assert status_of(world, coordinator, programme_id, person) is ParticipantStatus.MATCHED
    assert templates_to(world, coordinator, mentees[1]) == [("match_approved_mentee", "sr")]
    # The mentor gave no language, so the programme's default (Serbian) is used.
    assert templates_to(world, coordinator, mentor) == [("match_approved_mentor", "sr")] * 2


def test_rejecting_a_proposal_needs_a_reason_and_a_second_review_is_a_409(world: World) -> None:
    # GIVEN a proposal
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
    coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")
    (proposal,) = run(coordinator, programme_id)["proposals"]
    path = f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}"

    # WHEN it is rejected without a reason, then with one, then approved
    no_reason = coordinator.post(f"{path}/reject", {})
    rejected = coordinator.post(f"{path}/reject", {"reason": "they work in the same team"})
    late_approval = coordinator.post(f"{path}/approve")

    # THEN only the rejection with a reason counts; approving afterwards is an illegal transition
    assert no_reason.status_code == 400
    assert rejected.status_code == 200
    assert rejected.json_body["pair"]["status"] == "rejected"
    assert late_approval.status_code == 409
    assert late_approval.json_body["error"] == "illegal_transition"
    assert coordinator.get(path).json_body["history"][-1]["reason"] == "they work in the same team"


def test_where_mentors_accept_first_the_mentor_is_asked_and_acceptance_starts_the_pair(world: World) -> None:
    # GIVEN a programme whose mentors accept within seven days, and a proposal
    coordinator = world.tenant()
    programme_id = coordinator.programme(matching={"mentor_acceptance_days": 7})
    mentor = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", language="sr")
    ona = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", language="lt")
    (proposal,) = run(coordinator, programme_id)["proposals"]
    path = f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}"

    # WHEN the coordinator approves, and records the mentor's acceptance
    approved = coordinator.post(f"{path}/approve")
    asked = templates_to(world, coordinator, mentor)
    accepted = coordinator.post(f"{path}/accept")

    # THEN approval set a deadline and asked only the mentor; acceptance made the pair active and told both
    assert approved.json_body["pair"]["status"] == "approved"
    assert approved.json_body["pair"]["accept_by"].startswith("2026-09-08T09:00:00")
    assert asked == [("match_request_mentor", "sr")]
    assert accepted.status_code == 200
    assert accepted.json_body["pair"]["status"] == "active"
    assert templates_to(world, coordinator, ona) == [("match_approved_mentee", "lt")]
    assert templates_to(world, coordinator, mentor) == [("match_approved_mentor", "sr"), ("match_request_mentor", "sr")]
    assert status_of(world, coordinator, programme_id, ona) is ParticipantStatus.MATCHED


def test_a_declined_request_proposes_the_mentees_next_best_fit(world: World) -> None:
    # GIVEN an approved pair waiting for Jelena, and a second mentor
    coordinator = world.tenant()
    programme_id = coordinator.programme(matching={"mentor_acceptance_days": 7})
    jelena = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    soren = coordinator.enrol(programme_id, "mentor", "Søren Ærø", "soren@example.dk")
    ona = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", tags=["vođenje"])
    (proposal,) = run(coordinator, programme_id)["proposals"]
    assert proposal["mentor_id"] == jelena
    path = f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}"
    coordinator.post(f"{path}/approve")

    # WHEN Jelena declines
    declined = coordinator.post(f"{path}/decline", {"reason": "no time this year"})

    # THEN the pair is declined and a rematch proposes Søren to Ona
    assert declined.status_code == 200
    assert declined.json_body["pair"]["status"] == "declined"
    rematch = declined.json_body["rematch"]
    assert rematch["run"]["trigger"] == "rematch"
    assert [(p["mentee_id"], p["mentor_id"]) for p in rematch["proposals"]] == [(ona, soren)]


def test_accepting_a_pair_that_waits_for_nobody_is_a_409(world: World) -> None:
    # GIVEN a programme without mentor acceptance and an approved pair
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
    coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")
    (proposal,) = run(coordinator, programme_id)["proposals"]
    path = f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}"
    coordinator.post(f"{path}/approve")

    # WHEN the mentor's acceptance is recorded anyway
    response = coordinator.post(f"{path}/accept")

    # THEN it is refused and the pair is unchanged
    assert response.status_code == 409
    assert coordinator.get(path).json_body["status"] == "approved"


def test_ending_a_pair_early_rematches_the_mentee_and_an_ended_pair_cannot_complete(world: World) -> None:
    # GIVEN an approved pair and a second mentor
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    jelena = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    soren = coordinator.enrol(programme_id, "mentor", "Søren Ærø", "soren@example.dk")
    ona = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", tags=["vođenje"])
    (proposal,) = run(coordinator, programme_id)["proposals"]
    path = f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}"
    coordinator.post(f"{path}/approve")

    # WHEN the coordinator ends it early, then tries to complete it
    ended = coordinator.post(f"{path}/end", {"reason": "the chemistry did not work", "outcome": "ended_early"})
    completed = coordinator.post(f"{path}/end", {"reason": "done", "outcome": "completed"})

    # THEN completing an ended pair is refused; ending early frees Jelena and proposes Søren to Ona
    assert completed.status_code == 409
    assert ended.status_code == 200
    assert ended.json_body["pair"]["status"] == "ended_early"
    assert ended.json_body["pair"]["end_reason"] == "the chemistry did not work"
    assert status_of(world, coordinator, programme_id, jelena) is ParticipantStatus.ACCEPTED
    proposed = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?status=proposed").json_body["items"]
    assert [(p["mentee_id"], p["mentor_id"]) for p in proposed] == [(ona, soren)]


def test_completing_an_active_pair_completes_both(world: World) -> None:
    # GIVEN an active pair (mentor acceptance on)
    coordinator = world.tenant()
    programme_id = coordinator.programme(matching={"mentor_acceptance_days": 7, "auto_approve": True})
    mentor = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
    ona = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")
    (proposal,) = run(coordinator, programme_id)["proposals"]
    path = f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}"
    coordinator.post(f"{path}/accept")

    # WHEN the pair completes
    response = coordinator.post(f"{path}/end", {"reason": "goals reached", "outcome": "completed"})

    # THEN both have completed and nobody is rematched
    assert response.status_code == 200
    assert response.json_body["pair"]["status"] == "completed"
    assert response.json_body["rematch"] is None
    assert status_of(world, coordinator, programme_id, ona) is ParticipantStatus.COMPLETED
    assert status_of(world, coordinator, programme_id, mentor) is ParticipantStatus.COMPLETED


def test_a_withdrawn_mentor_ends_the_pair_and_the_mentee_is_rematched(world: World) -> None:
    # GIVEN an approved pair and a second mentor
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    jelena = coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    soren = coordinator.enrol(programme_id, "mentor", "Søren Ærø", "soren@example.dk")
    ona = coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt", tags=["vođenje"])
    (proposal,) = run(coordinator, programme_id)["proposals"]
    coordinator.post(f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}/approve")

    # WHEN Jelena is withdrawn
    response = coordinator.post(
        f"{V1}/programmes/{programme_id}/participants/{jelena}/withdraw", {"reason": "left the company"}
    )

    # THEN the pair ended early with that reason, Ona was told and is proposed Søren
    assert response.status_code == 200
    ended = coordinator.get(f"{V1}/programmes/{programme_id}/pairs/{proposal['pair_id']}").json_body
    assert (ended["status"], ended["end_reason"]) == ("ended_early", "left the company")
    assert ("pair_ended", "sr") in templates_to(world, coordinator, ona)
    proposed = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?status=proposed").json_body["items"]
    assert [(p["mentee_id"], p["mentor_id"]) for p in proposed] == [(ona, soren)]


def test_running_the_same_round_twice_never_double_matches(world: World) -> None:
    # GIVEN a matched round
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", capacity=2)
    for n in range(3):
        coordinator.enrol(programme_id, "mentee", f"Mentee {n}", f"mentee{n}@example.org")
    first = run(coordinator, programme_id)

    # WHEN the coordinator runs it again
    second = run(coordinator, programme_id)

    # THEN the second run proposes nothing, and the mentor has exactly two open pairs
    assert len(first["proposals"]) == 2
    assert second["proposals"] == []
    assert len(coordinator.get(f"{V1}/programmes/{programme_id}/pairs?status=proposed").json_body["items"]) == 2
    runs = coordinator.get(f"{V1}/programmes/{programme_id}/matching-runs").json_body["items"]
    assert [r["pairs_proposed"] for r in runs] == [0, 2] or [r["pairs_proposed"] for r in runs] == [2, 0]


def test_a_run_while_another_is_writing_is_a_409(world: World) -> None:
    # GIVEN a programme whose matching lease another run holds
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
    coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")
    lease = MatchingLease(tenant_id=coordinator.tenant_id, programme_id=programme_id, updated_at=START)
    lease.take("run_in_progress", START)
    world.storage.runs.save_lease(lease)

    # WHEN the coordinator starts a run
    response = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {"dry_run": False})

    # THEN it is refused and nothing is stored
    assert response.status_code == 409
    assert response.json_body["error"] == "matching_in_progress"
    assert world.storage.pairs.list(coordinator.tenant_id, programme_id) == []


def test_runs_are_listed_and_read_with_their_unmatched_and_pairs(world: World) -> None:
    # GIVEN one run
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
    coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")
    coordinator.enrol(programme_id, "mentee", "Marko Marković", "marko@example.rs")
    report = run(coordinator, programme_id)
    run_id = report["run"]["run_id"]

    # WHEN the coordinator lists runs, reads the run, and lists its pairs
    listed = coordinator.get(f"{V1}/programmes/{programme_id}/matching-runs").json_body["items"]
    read = coordinator.get(f"{V1}/programmes/{programme_id}/matching-runs/{run_id}").json_body
    pairs = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?run_id={run_id}").json_body["items"]
    missing = coordinator.get(f"{V1}/programmes/{programme_id}/matching-runs/run_nope")

    # THEN the listing summarises, and the run has the per-person detail
    assert [(r["run_id"], r["pairs_proposed"]) for r in listed] == [(run_id, 1)]
    assert listed[0]["unmatched_by_reason"] == {"mentee:mentors_full": 1}
    assert read["pair_ids"] == [p["pair_id"] for p in pairs]
    assert [u["code"] for u in read["unmatched"]] == ["mentors_full"]
    assert missing.status_code == 404


def test_another_tenants_runs_and_pairs_answer_404(world: World) -> None:
    # GIVEN a run and a pair of one tenant
    owner = world.tenant("Vilniaus kultūros centras")
    intruder = world.tenant("Another organisation")
    programme_id = owner.programme()
    owner.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
    owner.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")
    report = run(owner, programme_id)
    run_id = report["run"]["run_id"]
    pair_path = f"{V1}/programmes/{programme_id}/pairs/{report['proposals'][0]['pair_id']}"

    # WHEN another tenant reaches for them
    answers = [
        intruder.post(f"{V1}/programmes/{programme_id}/matching-runs", {"dry_run": True}),
        intruder.get(f"{V1}/programmes/{programme_id}/matching-runs"),
        intruder.get(f"{V1}/programmes/{programme_id}/matching-runs/{run_id}"),
        intruder.post(f"{V1}/programmes/{programme_id}/matching-runs/{run_id}/approve-all"),
        intruder.get(f"{V1}/programmes/{programme_id}/pairs"),
        intruder.get(pair_path),
        intruder.post(f"{pair_path}/approve"),
        intruder.post(f"{pair_path}/reject", {"reason": "x"}),
        intruder.post(f"{pair_path}/accept"),
        intruder.post(f"{pair_path}/decline", {"reason": "x"}),
        intruder.post(f"{pair_path}/end", {"reason": "x", "outcome": "ended_early"}),
    ]

    # THEN every answer is 404 and the pair is untouched
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert owner.get(pair_path).json_body["status"] == "proposed"


def _edge_case_cohort(world: World, coordinator: TenantHandle, programme_id: str, case: str) -> None:
    if case in ("no mentors", "no weights set", "duplicate profiles", "all mentors full"):
        coordinator.enrol(programme_id, "mentee", "Ona Čiurlionytė", "ona@example.lt")
    if case in ("no mentees", "no weights set", "duplicate profiles"):
        coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs")
    if case == "all mentors full":
        coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", capacity=0)
        coordinator.enrol(programme_id, "mentor", "Søren Ærø", "soren@example.dk", capacity=0)
    if case == "duplicate profiles":
        # An old import left the same mentee under a second id; the API itself refuses a second enrolment.
        again = coordinator.post(
            f"{V1}/programmes/{programme_id}/participants",
            {"profile": {"role": "mentee", "email": "ONA@example.lt", "name": "Ona"}},
        )
        assert again.status_code == 409
        world.storage.participants.save(
            Participant(
                participant_id="par_0_old_import",
                tenant_id=coordinator.tenant_id,
                programme_id=programme_id,
                profile=Profile(role=Role.MENTEE, email="ona@example.lt", name="Ona Č.", languages=["en"]),
                status=ParticipantStatus.ACCEPTED,
                created_at=START,
                updated_at=START,
            )
        )


@pytest.mark.parametrize(
    ("case", "pairs", "codes"),
    [
        ("no mentors", 0, ["mentee:no_mentor_places"]),
        ("no mentees", 0, ["mentor:no_mentees"]),
        (
            "all mentors full",
            0,
            ["mentee:no_mentor_places", "mentor:mentor_capacity_zero", "mentor:mentor_capacity_zero"],
        ),
        ("duplicate profiles", 1, ["mentee:duplicate_profile"]),
        ("no weights set", 1, []),
    ],
)
def test_edge_cases_of_a_cohort_answer_201_with_reasons(world: World, case: str, pairs: int, codes: list[str]) -> None:
    # GIVEN a programme with that cohort (and no matching policy set at all)
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    _edge_case_cohort(world, coordinator, programme_id, case)

    # WHEN the coordinator runs the matching
    report = run(coordinator, programme_id)

    # THEN the run succeeds, proposes what it can, and says why for everyone left over
    assert len(report["proposals"]) == pairs
    assert sorted(f"{u['role']}:{u['code']}" for u in report["run"]["unmatched"]) == codes
    assert all(u["sentence"] for u in report["run"]["unmatched"])
    stored = coordinator.get(f"{V1}/programmes/{programme_id}/matching-runs/{report['run']['run_id']}")
    assert stored.status_code == 200
    assert "ona@example.lt" not in str(stored.json_body)


def test_an_empty_body_runs_for_real_and_unknown_fields_are_refused(world: World) -> None:
    # GIVEN an empty programme
    coordinator = world.tenant()
    programme_id = coordinator.programme()

    # WHEN a run is posted with no body, and one with a typo
    empty = world.client.http.post(f"{V1}/programmes/{programme_id}/matching-runs", headers=coordinator.headers())
    typo = coordinator.post(f"{V1}/programmes/{programme_id}/matching-runs", {"dryrun": True})

    # THEN the first is a real (empty) run, the second a 400 naming the field
    assert empty.status_code == 201
    assert empty.json_body["run"]["dry_run"] is False
    assert typo.status_code == 400
    assert "dryrun" in typo.json_body["message"]


def test_pairs_are_listed_in_pages_by_id(world: World) -> None:
    # GIVEN a run with three proposals
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@example.rs", capacity=3)
    for n in range(3):
        coordinator.enrol(programme_id, "mentee", f"Mentee {n}", f"mentee{n}@example.org")
    run(coordinator, programme_id)

    # WHEN they are listed two at a time
    first = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?limit=2").json_body
    second = coordinator.get(f"{V1}/programmes/{programme_id}/pairs?limit=2&cursor={first['next_cursor']}").json_body

    # THEN the pages hold every pair once, in id order, and the last has no cursor
    ids = [p["pair_id"] for p in first["items"] + second["items"]]
    assert len(first["items"]) == 2
    assert second["next_cursor"] is None
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
