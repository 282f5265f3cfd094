"""Specification of reviewing proposals: approval, rejection, the mentor's answer and its deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.pair import PairStatus
from chalicelib.domain.participant import ParticipantStatus
from chalicelib.errors import Conflict, IllegalTransition
from chalicelib.services import matching

from .scene import NOW, TENANT, Scene


def test_approval_matches_both_and_tells_each_in_their_own_language_who_the_other_is(scene: Scene) -> None:
    # GIVEN a proposal between a Danish-speaking mentor and a Lithuanian-speaking mentee
    soren = scene.mentor("Søren Ærø", "soren@example.dk", language="da", languages=["da", "en"], tags=["ledelse"])
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt", language="lt", languages=["lt", "en"], tags=["ledelse"])
    (proposal,) = scene.run().proposals
    assert proposal.pair_id is not None

    # WHEN the coordinator approves it
    pair = scene.approve(proposal.pair_id)

    # THEN the pair is approved, both are matched, and each gets one message naming the other
    assert pair.status is PairStatus.APPROVED
    assert pair.accept_by is None
    assert scene.person(ona).status is ParticipantStatus.MATCHED
    assert scene.person(soren).status is ParticipantStatus.MATCHED
    (to_ona,) = scene.messages_to(ona)
    (to_soren,) = scene.messages_to(soren)
    assert (to_ona.template, to_ona.language) == ("match_approved_mentee", "lt")
    assert (to_soren.template, to_soren.language) == ("match_approved_mentor", "da")
    assert "Søren Ærø" in to_ona.body_text
    assert "soren@example.dk" in to_ona.body_text
    assert "Bendri tikslai ir interesai: ledelse" in to_ona.body_text
    assert "Ona Čiurlionytė" in to_soren.body_text
    assert "ona@example.lt" in to_soren.body_text
    assert to_soren.subject == "Mentorstvo 2026: Mød din mentee"


def test_approving_twice_is_an_illegal_transition_and_tells_nobody_again(scene: Scene) -> None:
    # GIVEN an approved pair
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    (proposal,) = scene.run().proposals
    assert proposal.pair_id is not None
    scene.approve(proposal.pair_id)

    # WHEN it is approved again
    with pytest.raises(IllegalTransition):
        scene.approve(proposal.pair_id)

    # THEN still one message each
    assert len(scene.messages()) == 2


def test_a_proposal_whose_mentee_withdrew_cannot_be_approved(scene: Scene) -> None:
    # GIVEN a proposal whose mentee has since withdrawn (recorded behind the service's back)
    mentor = scene.mentor("Jelena Đorđević", "jelena@example.rs")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    (proposal,) = scene.run().proposals
    assert proposal.pair_id is not None
    gone = scene.person(ona)
    gone.move_to(ParticipantStatus.WITHDRAWN, at=NOW, reason="moved abroad")
    scene.storage.participants.save(gone)

    # WHEN the coordinator approves it
    with pytest.raises(Conflict):
        scene.approve(proposal.pair_id)

    # THEN nothing changed and nobody was told
    assert scene.pair(proposal.pair_id).status is PairStatus.PROPOSED
    assert scene.person(mentor).status is ParticipantStatus.ACCEPTED
    assert scene.messages() == []


def test_approve_all_approves_a_runs_proposals_and_reports_those_that_cannot_start(scene: Scene) -> None:
    # GIVEN a run with three proposals, one of whose mentees has withdrawn since
    for n in range(3):
        scene.mentor(f"Mentor {n}", f"mentor{n}@example.org")
    mentees = [scene.mentee(f"Mentee {n}", f"mentee{n}@example.org") for n in range(3)]
    report = scene.run()
    gone = scene.person(mentees[0])
    gone.move_to(ParticipantStatus.WITHDRAWN, at=NOW, reason="changed jobs")
    scene.storage.participants.save(gone)

    # WHEN the coordinator approves the whole run
    result = matching.approve_all(
        scene.storage, scene.notifier, scene.clock, TENANT, scene.programme_id, run_id=report.run.run_id
    )

    # THEN two start and are told, and the third is reported with the reason
    assert len(result.approved) == 2
    (skipped,) = result.skipped
    assert skipped.error == "conflict"
    assert scene.pair(skipped.pair_id).mentee_id == mentees[0].participant_id
    assert all(scene.person(m).status is ParticipantStatus.MATCHED for m in mentees[1:])
    assert len(scene.messages("match_approved_mentee")) == 2
    assert len(scene.messages("match_approved_mentor")) == 2


def test_a_programme_that_auto_approves_matches_and_tells_everyone_in_the_run(scene: Scene) -> None:
    # GIVEN a programme that approves proposals itself
    scene.set_policy(auto_approve=True)
    mentor = scene.mentor("Jelena Đorđević", "jelena@example.rs", capacity=2)
    mentees = [scene.mentee(f"Mentee {n}", f"mentee{n}@example.org") for n in range(2)]

    # WHEN the cohort is matched
    report = scene.run()

    # THEN both pairs are approved straight away and all three people are matched and told
    assert report.approved == 2
    assert {p.status for p in scene.pairs()} == {PairStatus.APPROVED}
    assert {scene.person(p).status for p in [mentor, *mentees]} == {ParticipantStatus.MATCHED}
    assert len(scene.messages_to(mentor)) == 2
    assert [len(scene.messages_to(m)) for m in mentees] == [1, 1]


def test_rejecting_a_proposal_frees_both_for_the_next_run(scene: Scene) -> None:
    # GIVEN a proposal
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentor("Søren Ærø", "soren@example.dk")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    (proposal,) = scene.run().proposals
    assert proposal.pair_id is not None

    # WHEN the coordinator rejects it, and matches again
    rejected = matching.reject(
        scene.storage, scene.clock, TENANT, scene.programme_id, proposal.pair_id, reason="they work together"
    )
    (again,) = scene.run().proposals

    # THEN the rejection is recorded with its reason and Ona is proposed the other mentor
    assert rejected.status is PairStatus.REJECTED
    assert rejected.history[-1].reason == "they work together"
    assert again.mentee_id == ona.participant_id
    assert again.mentor_id != proposal.mentor_id
    assert scene.person(jelena).status is ParticipantStatus.ACCEPTED


def test_where_mentors_must_accept_approval_asks_the_mentor_and_tells_the_mentee_nothing_yet(scene: Scene) -> None:
    # GIVEN a programme whose mentors accept within five days
    scene.set_policy(mentor_acceptance_days=5)
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs", language="sr", tags=["vođenje"])
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt", language="lt", tags=["vođenje"])
    (proposal,) = scene.run().proposals
    assert proposal.pair_id is not None

    # WHEN the coordinator approves the proposal
    pair = scene.approve(proposal.pair_id)

    # THEN the pair waits for Jelena until the deadline; she is asked in Serbian, without Ona's address yet
    assert pair.status is PairStatus.APPROVED
    assert pair.accept_by == NOW + timedelta(days=5)
    assert scene.storage.pairs.awaiting_mentor(NOW + timedelta(days=5)) == [pair]
    (request,) = scene.messages_to(jelena)
    assert (request.template, request.language) == ("match_request_mentor", "sr")
    assert "Ona Čiurlionytė" in request.body_text
    assert "ona@example.lt" not in request.body_text
    assert "Rok za odgovor: 6. septembar 2026. 11:00" in request.body_text
    assert scene.messages_to(ona) == []
    assert scene.person(ona).status is ParticipantStatus.ACCEPTED


def test_the_mentors_acceptance_starts_the_pair_and_tells_both(scene: Scene) -> None:
    # GIVEN an approved pair waiting for the mentor
    scene.set_policy(mentor_acceptance_days=5)
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    (proposal,) = scene.run().proposals
    assert proposal.pair_id is not None
    scene.approve(proposal.pair_id)

    # WHEN the mentor accepts two days later
    scene.clock.advance(timedelta(days=2))
    pair = matching.accept(scene.storage, scene.notifier, scene.clock, TENANT, scene.programme_id, proposal.pair_id)

    # THEN the pair is active, both are matched, the mentee learns who her mentor is, and the deadline is gone
    assert pair.status is PairStatus.ACTIVE
    assert scene.person(ona).status is ParticipantStatus.MATCHED
    assert scene.person(jelena).status is ParticipantStatus.MATCHED
    assert [m.template for m in scene.messages_to(ona)] == ["match_approved_mentee"]
    assert sorted(m.template for m in scene.messages_to(jelena)) == ["match_approved_mentor", "match_request_mentor"]
    assert scene.storage.pairs.awaiting_mentor(NOW + timedelta(days=30)) == []
    with pytest.raises(IllegalTransition):
        matching.accept(scene.storage, scene.notifier, scene.clock, TENANT, scene.programme_id, proposal.pair_id)


def test_a_mentor_who_declines_frees_the_mentee_and_her_next_best_fit_is_proposed(scene: Scene) -> None:
    # GIVEN a pair waiting for Jelena, and Søren as the mentee's second-best fit
    scene.set_policy(mentor_acceptance_days=5)
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["vođenje", "finansije"])
    soren = scene.mentor("Søren Ærø", "soren@example.dk", tags=["vođenje"])
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt", tags=["vođenje", "finansije"])
    marko = scene.mentee("Marko Marković", "marko@example.rs", languages=["sr"])
    report = scene.run()
    (proposal,) = [p for p in report.proposals if p.mentee_id == ona.participant_id]
    assert proposal.mentor_id == jelena.participant_id
    assert proposal.pair_id is not None
    scene.approve(proposal.pair_id)

    # WHEN Jelena declines
    outcome = matching.decline(
        scene.storage, scene.notifier, scene.clock, TENANT, scene.programme_id, proposal.pair_id, reason="no time"
    )

    # THEN the pair is declined and a rematch of everyone waiting proposes Søren to Ona, never Jelena
    assert outcome.pair.status is PairStatus.DECLINED
    assert outcome.rematch is not None
    assert outcome.rematch.run.trigger == "rematch"
    assert outcome.rematch.run.mentee_ids == []
    (rematch,) = outcome.rematch.proposals
    assert (rematch.mentee_id, rematch.mentor_id) == (ona.participant_id, soren.participant_id)
    assert scene.person(marko).priority == 1


def test_the_sweep_expires_unanswered_requests_and_proposes_the_next_best_fit(scene: Scene) -> None:
    # GIVEN a pair waiting for Jelena for three days, another mentor, and a pair that is not due yet
    scene.set_policy(mentor_acceptance_days=3)
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    soren = scene.mentor("Søren Ærø", "soren@example.dk", capacity=2)
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt", tags=["vođenje"])
    (proposal,) = scene.run().proposals
    assert proposal.pair_id is not None
    scene.approve(proposal.pair_id)
    scene.clock.advance(timedelta(days=2))
    later = scene.mentee("Marko Marković", "marko@example.rs", tags=["vođenje"])
    (later_proposal,) = scene.run().proposals
    assert later_proposal.pair_id is not None
    scene.approve(later_proposal.pair_id)

    # WHEN the sweep runs after Jelena's deadline, and again an hour later
    scene.clock.advance(timedelta(days=1, minutes=1))
    counts = matching.expire_acceptances(scene.storage, scene.notifier, scene.clock)
    scene.clock.advance(timedelta(hours=1))
    again = matching.expire_acceptances(scene.storage, scene.notifier, scene.clock)

    # THEN her pair expired, Ona is back in the pool and proposed to Søren (never Jelena), and nothing repeats
    assert counts == {"expired": 1, "rematched": 1, "deferred": 0, "changed_meanwhile": 0}
    assert again["expired"] == 0
    assert scene.pair(proposal.pair_id).status is PairStatus.EXPIRED
    assert scene.person(ona).status is ParticipantStatus.ACCEPTED
    new_pair = scene.open_pair_of(ona)
    assert new_pair.mentor_id == soren.participant_id
    assert new_pair.status is PairStatus.PROPOSED
    assert new_pair.mentor_id != jelena.participant_id
    assert scene.pair(later_proposal.pair_id).status is PairStatus.APPROVED
    assert scene.person(later).status is ParticipantStatus.ACCEPTED
    # ... and Jelena learns, once, that another mentor was asked
    assert [m.template for m in scene.messages_to(jelena)].count("match_request_expired") == 1
