"""Specification of ending pairs: completed versus ended early, rematches, and withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.pair import Pair, PairStatus
from chalicelib.domain.participant import Participant, ParticipantStatus
from chalicelib.domain.programme import ProgrammeKind
from chalicelib.errors import IllegalTransition
from chalicelib.services import matching
from chalicelib.services import participants as participant_service

from .scene import TENANT, Scene


def _approved_pair(scene: Scene, mentee: Participant) -> Pair:
    scene.run()
    return scene.approve(scene.open_pair_of(mentee).pair_id)


def _end(scene: Scene, pair: Pair, *, completed: bool, reason: str) -> matching.PairOutcome:
    return matching.end_pair(
        scene.storage,
        scene.notifier,
        scene.clock,
        TENANT,
        scene.programme_id,
        pair.pair_id,
        reason=reason,
        completed=completed,
    )


def _activate(scene: Scene, pair: Pair) -> Pair:
    if pair.status is PairStatus.ACTIVE:
        return pair
    pair.move_to(PairStatus.ACTIVE, at=scene.clock.now(), reason="first meeting held")
    return scene.storage.pairs.save(pair)


def test_ending_early_frees_the_mentor_and_proposes_the_mentee_a_new_mentor(scene: Scene) -> None:
    # GIVEN an approved pair, and another mentor with a free place
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    soren = scene.mentor("Søren Ærø", "soren@example.dk")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt", tags=["vođenje"])
    pair = _approved_pair(scene, ona)
    assert pair.mentor_id == jelena.participant_id

    # WHEN the coordinator ends it early
    outcome = _end(scene, pair, completed=False, reason="the chemistry did not work")

    # THEN it is ended early with the reason, Jelena is free again, and Ona is proposed Søren at once
    assert outcome.pair.status is PairStatus.ENDED_EARLY
    assert outcome.pair.end_reason == "the chemistry did not work"
    assert scene.person(jelena).status is ParticipantStatus.ACCEPTED
    assert scene.person(ona).status is ParticipantStatus.ACCEPTED
    assert outcome.rematch is not None
    assert outcome.rematch.run.trigger == "rematch"
    rematch = scene.open_pair_of(ona)
    assert rematch.mentor_id == soren.participant_id
    assert rematch.run_id == outcome.rematch.run.run_id


def test_a_mentee_who_finds_no_new_mentor_after_ending_early_is_told_her_pair_ended_not_that_she_has_no_place(
    scene: Scene,
) -> None:
    # GIVEN an active pair and no other mentor
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    pair = _activate(scene, _approved_pair(scene, ona))

    # WHEN it ends early, an hour later
    scene.clock.advance(timedelta(hours=1))
    outcome = _end(scene, pair, completed=False, reason="moved to another city")

    # THEN the rematch finds nobody (never the same mentor); Ona keeps her place and hears that a mentor is sought,
    # and Jelena hears that the pair ended; nobody is told "no place this round"
    assert outcome.rematch is not None
    assert outcome.rematch.proposals == []
    assert scene.person(ona).status is ParticipantStatus.ACCEPTED
    assert [m.template for m in scene.messages_to(ona)] == ["match_approved_mentee", "pair_ended"]
    assert [m.template for m in scene.messages_to(jelena)] == ["match_approved_mentor", "pair_ended"]
    assert "looking for a new mentor" in scene.messages_to(ona)[-1].body_text
    assert "Your place as a mentor stays open" in scene.messages_to(jelena)[-1].body_text


def test_completing_a_pair_completes_the_mentee_and_a_cohort_mentor_without_other_pairs(scene: Scene) -> None:
    # GIVEN an active pair
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    pair = _activate(scene, _approved_pair(scene, ona))

    # WHEN it completes
    outcome = _end(scene, pair, completed=True, reason="goals reached")

    # THEN both have completed the programme and nobody is rematched
    assert outcome.pair.status is PairStatus.COMPLETED
    assert outcome.pair.end_reason == "goals reached"
    assert outcome.rematch is None
    assert scene.person(ona).status is ParticipantStatus.COMPLETED
    assert scene.person(jelena).status is ParticipantStatus.COMPLETED


def test_in_an_evergreen_programme_a_mentor_whose_pair_completes_goes_back_to_the_pool(scene: Scene) -> None:
    # GIVEN an evergreen programme with an active pair
    scene.programme = scene.storage.programmes.save(
        scene.programme.model_copy(update={"kind": ProgrammeKind.EVERGREEN})
    )
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    pair = _activate(scene, _approved_pair(scene, ona))

    # WHEN it completes
    _end(scene, pair, completed=True, reason="goals reached")

    # THEN the mentor can be matched again
    assert scene.person(jelena).status is ParticipantStatus.ACCEPTED
    assert scene.person(ona).status is ParticipantStatus.COMPLETED


def test_an_approved_pair_completes_where_mentors_are_not_asked_first_and_both_are_thanked(scene: Scene) -> None:
    # GIVEN a programme without mentor acceptance (the default) and an approved pair nobody reported a meeting of
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt", language="lt")
    approved = _approved_pair(scene, ona)
    assert approved.status is PairStatus.APPROVED

    # WHEN the coordinator completes it
    outcome = _end(scene, approved, completed=True, reason="goals reached")

    # THEN it is completed, and each of the two hears so once, in their language
    assert outcome.pair.status is PairStatus.COMPLETED
    assert scene.person(ona).status is ParticipantStatus.COMPLETED
    (to_ona,) = [m for m in scene.messages_to(ona) if m.template == "pair_completed"]
    assert to_ona.language == "lt"
    assert "Jelena Đorđević" in to_ona.body_text
    assert [m.template for m in scene.messages_to(jelena)].count("pair_completed") == 1


def test_a_pair_waiting_for_the_mentor_cannot_complete_and_a_proposal_is_rejected_rather_than_ended(
    scene: Scene,
) -> None:
    # GIVEN a programme that asks mentors first, a proposal and an approved pair waiting for the mentor
    scene.set_policy(mentor_acceptance_days=7)
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentor("Søren Ærø", "soren@example.dk")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    marko = scene.mentee("Marko Marković", "marko@example.rs")
    scene.run()
    proposed = scene.open_pair_of(marko)
    waiting = scene.approve(scene.open_pair_of(ona).pair_id)

    # WHEN the coordinator tries to complete the waiting pair and end the proposal
    # THEN both are illegal transitions
    with pytest.raises(IllegalTransition):
        _end(scene, waiting, completed=True, reason="done")
    with pytest.raises(IllegalTransition):
        _end(scene, proposed, completed=False, reason="not needed")
    assert scene.pair(waiting.pair_id).status is PairStatus.APPROVED


def test_a_mentor_who_withdraws_ends_the_pair_and_the_mentee_is_told_and_rematched(scene: Scene) -> None:
    # GIVEN an approved pair, another mentor, and a Slovenian-speaking mentee
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["vođenje"])
    soren = scene.mentor("Søren Ærø", "soren@example.dk")
    ana = scene.mentee("Ana Novak", "ana@example.si", language="sl", tags=["vođenje"])
    pair = _approved_pair(scene, ana)
    assert pair.mentor_id == jelena.participant_id

    # WHEN Jelena withdraws from the programme
    withdrawn = participant_service.withdraw(
        scene.storage,
        tenant_id=TENANT,
        programme_id=scene.programme_id,
        participant_id=jelena.participant_id,
        reason="left the company",
        expected_version=None,
        clock=scene.clock,
        notifier=scene.notifier,
    )

    # THEN her pair ended early with her reason, Ana is told in Slovenian and proposed Søren
    assert withdrawn.status is ParticipantStatus.WITHDRAWN
    ended = scene.pair(pair.pair_id)
    assert ended.status is PairStatus.ENDED_EARLY
    assert ended.end_reason == "left the company"
    told = [m for m in scene.messages_to(ana) if m.template == "pair_ended"]
    assert [m.language for m in told] == ["sl"]
    assert "Jelena Đorđević" in told[0].body_text
    assert "Iščemo vam novega mentorja" in told[0].body_text
    assert "left the company" not in told[0].body_text
    assert scene.open_pair_of(ana).mentor_id == soren.participant_id


def test_a_mentee_who_withdraws_frees_the_mentor_who_is_told_but_not_the_reason(scene: Scene) -> None:
    # GIVEN an active pair of a mentor with one mentee
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs", language="sr")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    pair = _activate(scene, _approved_pair(scene, ona))

    # WHEN the mentee withdraws
    participant_service.withdraw(
        scene.storage,
        tenant_id=TENANT,
        programme_id=scene.programme_id,
        participant_id=ona.participant_id,
        reason="health reasons",
        expected_version=None,
        clock=scene.clock,
        notifier=scene.notifier,
    )

    # THEN the pair ended, the mentor is back in the pool and told in Serbian, without the reason
    assert scene.pair(pair.pair_id).status is PairStatus.ENDED_EARLY
    assert scene.person(jelena).status is ParticipantStatus.ACCEPTED
    assert scene.person(ona).status is ParticipantStatus.WITHDRAWN
    (told,) = [m for m in scene.messages_to(jelena) if m.template == "pair_ended"]
    assert told.language == "sr"
    assert "Vaše mesto mentora ostaje otvoreno" in told.body_text
    assert "health" not in told.body_text


def test_withdrawing_from_a_mere_proposal_rejects_it_and_tells_nobody(scene: Scene) -> None:
    # GIVEN a proposal nobody has heard of
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    scene.run()
    proposal = scene.open_pair_of(ona)

    # WHEN the mentee withdraws
    participant_service.withdraw(
        scene.storage,
        tenant_id=TENANT,
        programme_id=scene.programme_id,
        participant_id=ona.participant_id,
        reason="no longer interested",
        expected_version=None,
        clock=scene.clock,
        notifier=scene.notifier,
    )

    # THEN the proposal is rejected with the reason and nobody is told
    rejected = scene.pair(proposal.pair_id)
    assert rejected.status is PairStatus.REJECTED
    assert rejected.history[-1].reason == "no longer interested"
    assert scene.messages_to(jelena) == []
    assert scene.open_pairs() == []
