"""Specification of a matching run: who takes part, what is stored, the waiting list, and no double matches."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.matching_run import MatchingLease
from chalicelib.domain.pair import Pair, PairStatus, pair_id_for
from chalicelib.domain.participant import Participant, ParticipantStatus, Profile, Role
from chalicelib.domain.programme import ProgrammeStatus
from chalicelib.errors import Conflict
from chalicelib.services import matching
from chalicelib.services.matching import MatchingBusy, utc_offset_minutes
from chalicelib.storage.pairs import InMemoryPairs

from .scene import NOW, TENANT, Scene


def test_a_run_stores_one_proposed_pair_per_proposal_with_score_reasons_and_the_run(scene: Scene) -> None:
    # GIVEN two mentors and two mentees whose goals fit one mentor each
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["fundraising"])
    soren = scene.mentor("Søren Ærø", "soren@example.dk", tags=["leadership"])
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt", tags=["leadership"])
    marko = scene.mentee("Marko Marković", "marko@example.rs", tags=["fundraising"])

    # WHEN the cohort is matched
    report = scene.run()

    # THEN each mentee is proposed the mentor who shares their goal, and the run is stored with both pairs
    pairs = {(p.mentee_id, p.mentor_id): p for p in scene.pairs()}
    assert set(pairs) == {(ona.participant_id, soren.participant_id), (marko.participant_id, jelena.participant_id)}
    ona_pair = pairs[(ona.participant_id, soren.participant_id)]
    assert ona_pair.status is PairStatus.PROPOSED
    assert ona_pair.run_id == report.run.run_id
    assert ona_pair.score is not None
    assert ona_pair.score > 0
    assert {"code": "shared_goals", "params": {"goals": ["leadership"], "mentee_goal_count": 1}} in ona_pair.reasons
    assert ona_pair.explanation is not None
    assert "Ona" not in ona_pair.explanation
    stored = scene.storage.runs.get(TENANT, scene.programme_id, report.run.run_id)
    assert stored is not None
    assert sorted(stored.pair_ids) == sorted(p.pair_id for p in pairs.values())
    assert (stored.figures.matched, stored.figures.mentees, stored.figures.mentors) == (2, 2, 2)
    assert stored.trigger == "api"
    assert not stored.dry_run
    assert [p.pair_id for p in report.proposals] == stored.pair_ids
    # Proposals are not approvals: nobody is matched or told yet.
    assert scene.person(ona).status is ParticipantStatus.ACCEPTED
    assert scene.messages() == []


def test_a_dry_run_reports_the_proposals_and_writes_nothing(scene: Scene) -> None:
    # GIVEN a mentor and two mentees for one place
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    waiting = scene.mentee("Marko Marković", "marko@example.rs")

    # WHEN the coordinator previews the matching
    report = scene.run(dry_run=True)

    # THEN the preview has one proposal and one unmatched mentee, and nothing is stored or sent
    assert report.run.dry_run
    assert len(report.proposals) == 1
    assert report.proposals[0].pair_id is None
    assert [u.code for u in report.run.unmatched if u.role == "mentee"] == ["mentors_full"]
    assert scene.pairs() == []
    assert scene.storage.runs.list(TENANT, scene.programme_id) == []
    assert scene.storage.runs.lease(TENANT, scene.programme_id) is None
    assert scene.person(waiting).status is ParticipantStatus.ACCEPTED
    assert scene.person(waiting).priority == 0
    assert scene.messages() == []


def test_a_mentor_offers_only_the_places_their_open_pairs_leave(scene: Scene) -> None:
    # GIVEN a mentor with two places, one already taken by an active pair
    mentor = scene.mentor("Jelena Đorđević", "jelena@example.rs", capacity=2)
    first = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    scene.run()
    scene.approve(scene.open_pair_of(first).pair_id)
    newcomers = [scene.mentee(f"Mentee {n}", f"mentee{n}@example.org") for n in range(3)]

    # WHEN the newcomers are matched
    report = scene.run()

    # THEN only one of them gets the mentor's last place; the others wait
    assert report.run.figures.places == 1
    assert len(report.run.pair_ids) == 1
    assert len([p for p in scene.open_pairs() if p.mentor_id == mentor.participant_id]) == 2
    assert sum(scene.person(p).status is ParticipantStatus.WAITLISTED for p in newcomers) == 2


def test_the_same_round_run_twice_proposes_nobody_a_second_pair(scene: Scene) -> None:
    # GIVEN a matched round
    for n in range(3):
        scene.mentor(f"Mentor {n}", f"mentor{n}@example.org")
        scene.mentee(f"Mentee {n}", f"mentee{n}@example.org")
    first = scene.run()

    # WHEN it is run again
    second = scene.run()

    # THEN the second run finds nobody to match, and everybody still has exactly one open pair
    assert len(first.run.pair_ids) == 3
    assert second.run.pair_ids == []
    assert second.run.figures.mentees == 0
    assert second.run.figures.mentors == 0
    assert len(scene.open_pairs()) == 3
    assert len(scene.storage.runs.list(TENANT, scene.programme_id)) == 2


def test_two_runs_at_the_same_time_never_give_anyone_two_open_pairs(scene: Scene) -> None:
    # GIVEN a cohort, and two coordinators pressing "match" at the same moment
    for n in range(8):
        scene.mentor(f"Mentor {n}", f"mentor{n}@example.org", capacity=1 + n % 2)
    for n in range(14):
        scene.mentee(f"Mentee {n}", f"mentee{n}@example.org")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def press_match() -> None:
        start.wait()
        try:
            outcomes.append(f"proposed {len(scene.run().run.pair_ids)}")
        except MatchingBusy:
            outcomes.append("busy")

    # WHEN both runs go at once
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        threads = [threading.Thread(target=press_match) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sys.setswitchinterval(previous)

    # THEN 12 places give 12 pairs in all, no mentee has two and no mentor is over capacity
    assert len(outcomes) == 2
    open_pairs = scene.open_pairs()
    assert len(open_pairs) == 12
    mentees = [p.mentee_id for p in open_pairs]
    assert len(mentees) == len(set(mentees))
    for mentor in [
        p for p in scene.storage.participants.list(TENANT, scene.programme_id).items if p.role is Role.MENTOR
    ]:
        taken = sum(p.mentor_id == mentor.participant_id for p in open_pairs)
        assert taken <= (mentor.profile.capacity or 1)


def test_a_run_while_another_holds_the_lease_is_refused_and_a_lapsed_lease_is_taken_over(scene: Scene) -> None:
    # GIVEN another run holding the programme's lease
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    lease = MatchingLease(tenant_id=TENANT, programme_id=scene.programme_id, updated_at=NOW)
    lease.take("run_elsewhere", NOW)
    scene.storage.runs.save_lease(lease)

    # WHEN a run starts now, and again after that run's lease lapsed without release
    with pytest.raises(MatchingBusy):
        scene.run()
    nothing_yet = scene.pairs()
    scene.clock.advance(timedelta(minutes=17))
    report = scene.run()

    # THEN the first attempt changed nothing; the second one ran and released the lease
    assert nothing_yet == []
    assert len(report.run.pair_ids) == 1
    released = scene.storage.runs.lease(TENANT, scene.programme_id)
    assert released is not None
    assert released.run_id is None


def test_a_mentees_next_pair_id_follows_from_how_many_pairs_they_had(scene: Scene) -> None:
    # GIVEN a mentee whose first proposal was rejected
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentor("Søren Ærø", "soren@example.dk")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    scene.run()
    first = scene.open_pair_of(ona)
    matching.reject(scene.storage, scene.clock, TENANT, scene.programme_id, first.pair_id, reason="same team")

    # WHEN she is matched again
    scene.run()

    # THEN her pairs have the ids any run reading the same state would have chosen
    second = scene.open_pair_of(ona)
    assert first.pair_id == pair_id_for(TENANT, scene.programme_id, ona.participant_id, 0)
    assert second.pair_id == pair_id_for(TENANT, scene.programme_id, ona.participant_id, 1)


class LaggingPairs(InMemoryPairs):
    """Pairs whose listing still shows an older state, as a lagging read of a table would."""

    def __init__(self) -> None:
        super().__init__()
        self.listing: list[Pair] | None = None

    def list(self, tenant_id: str, programme_id: str, *, status: PairStatus | None = None) -> list[Pair]:
        if self.listing is not None:
            return [p for p in self.listing if status is None or p.status == status]
        return super().list(tenant_id, programme_id, status=status)


def test_a_run_that_read_an_old_state_cannot_store_a_second_pair_for_a_mentee(scene: Scene) -> None:
    # GIVEN pair listings that keep showing the programme before any pair existed
    lagging = LaggingPairs()
    scene.storage.pairs = lagging
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    lagging.listing = []
    first = scene.run()

    # WHEN a second run reads that old state and proposes the same mentee again
    second = scene.run()

    # THEN storage refuses the second pair for her (same deterministic id), and the run counts it as skipped
    lagging.listing = None
    assert len(first.run.pair_ids) == 1
    assert second.run.pair_ids == []
    assert second.run.pairs_skipped == 1
    assert [p.mentee_id for p in scene.open_pairs()] == [ona.participant_id]


def test_only_accepted_and_waitlisted_mentees_and_taking_part_mentors_are_in_the_cohort(scene: Scene) -> None:
    # GIVEN people in every status that matters
    scene.mentor("Jelena Đorđević", "jelena@example.rs", capacity=5)
    withdrawn_mentor = scene.mentor("Søren Ærø", "soren@example.dk", capacity=5)
    scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    waitlisted = scene.mentee("Marko Marković", "marko@example.rs")
    withdrawn = scene.mentee("Ana Anić", "ana@example.rs")
    for person, status in ((waitlisted, ParticipantStatus.WAITLISTED), (withdrawn, ParticipantStatus.WITHDRAWN)):
        current = scene.person(person)
        current.move_to(status, at=NOW, reason="by hand")
        scene.storage.participants.save(current)
    current = scene.person(withdrawn_mentor)
    current.move_to(ParticipantStatus.WITHDRAWN, at=NOW, reason="moved abroad")
    scene.storage.participants.save(current)

    # WHEN the cohort is matched
    report = scene.run()

    # THEN the accepted and the waitlisted mentee are matched, with the mentor still taking part
    assert (report.run.figures.mentees, report.run.figures.mentors) == (2, 1)
    assert len(report.run.pair_ids) == 2


def test_ranked_choices_given_as_e_mails_or_ids_count_and_the_manager_is_never_proposed(scene: Scene) -> None:
    # GIVEN a mentee who ranked a mentor by e-mail, and whose own manager is the best fit on paper
    manager = scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["leadership", "finance"])
    chosen = scene.mentor("Søren Ærø", "soren@example.dk", tags=["finance"])
    ona = scene.mentee(
        "Ona Čiurlionytė",
        "ona@example.lt",
        tags=["leadership", "finance"],
        manager_email="JELENA@example.rs",
        ranked_preferences=["  Soren@Example.dk ", "par_unknown", "nobody@example.org"],
    )

    # WHEN the cohort is matched
    report = scene.run()

    # THEN Ona gets her first choice, never her manager
    (proposal,) = report.proposals
    assert proposal.mentee_id == ona.participant_id
    assert proposal.mentor_id == chosen.participant_id
    assert proposal.mentee_rank_of_mentor == 1
    assert report.run.figures.ranked_choice_share == 1.0
    assert manager.participant_id in {u.participant_id for u in report.run.unmatched}


def test_timezones_become_utc_offsets_at_the_moment_of_the_run() -> None:
    # GIVEN Belgrade, Vilnius and Copenhagen in summer and in winter
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    winter = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    # WHEN they are turned into offsets
    # THEN summer time counts, and no zone means no offset
    assert utc_offset_minutes("Europe/Belgrade", summer) == 120
    assert utc_offset_minutes("Europe/Belgrade", winter) == 60
    assert utc_offset_minutes("Europe/Vilnius", winter) == 120
    assert utc_offset_minutes("America/St_Johns", winter) == -210
    assert utc_offset_minutes(None, winter) is None


def test_unmatched_mentees_are_waitlisted_with_priority_raised_and_told_in_their_language(scene: Scene) -> None:
    # GIVEN more mentees than places, one of whom speaks no language the mentor does
    scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["leadership"])
    scene.mentee("Ona Čiurlionytė", "ona@example.lt", tags=["leadership"])
    left_out = scene.mentee("Marko Marković", "marko@example.rs", language="sr")
    speaks_other = scene.mentee("Søren Ærø", "soren@example.dk", languages=["da"], language="da")

    # WHEN the cohort is matched
    report = scene.run()

    # THEN both left out are waitlisted with one round of priority, each told once in their language
    assert report.waitlisted == 2
    assert {u.code for u in report.run.unmatched if u.role == "mentee"} == {"mentors_full", "no_shared_language"}
    for person, language in ((left_out, "sr"), (speaks_other, "da")):
        stored = scene.person(person)
        assert stored.status is ParticipantStatus.WAITLISTED
        assert stored.priority == 1
        assert stored.history[-1].reason == "left unmatched in the round of 2026-09-01"
        assert [(m.template, m.language) for m in scene.messages_to(person)] == [("waitlisted", language)]


def test_matching_again_the_same_day_neither_raises_priority_twice_nor_tells_twice(scene: Scene) -> None:
    # GIVEN a round that left a mentee waiting
    scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["leadership"])
    scene.mentee("Ona Čiurlionytė", "ona@example.lt", tags=["leadership"])
    left_out = scene.mentee("Marko Marković", "marko@example.rs")
    scene.run()

    # WHEN the coordinator runs the matching again that day, and once more a week later
    again = scene.run()
    after_again = scene.person(left_out).priority
    scene.clock.advance(timedelta(days=7))
    next_round = scene.run()

    # THEN the same day changes nothing for him; the next round is one more round of waiting
    assert again.waitlisted == 0
    assert after_again == 1
    assert next_round.waitlisted == 1
    assert scene.person(left_out).priority == 2
    assert len(scene.messages_to(left_out)) == 2


def test_priority_earned_by_waiting_wins_the_next_round(scene: Scene) -> None:
    # GIVEN a round with one place for two equal mentees
    scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["leadership"])
    scene.mentee("Ona Čiurlionytė", "ona@example.lt", tags=["leadership"])
    scene.mentee("Marko Marković", "marko@example.rs", tags=["leadership"])
    first = scene.run()
    (waiting_id,) = [u.participant_id for u in first.run.unmatched if u.role == "mentee"]

    # WHEN a new mentor and a newcomer equal to the one who waited join, and the next round runs
    scene.mentor("Søren Ærø", "soren@example.dk", tags=["leadership"])
    newcomer = scene.mentee("Ana Anić", "ana@example.rs", tags=["leadership"])
    second = scene.run()

    # THEN the one who waited gets the new place, and the reason says so
    (proposal,) = second.proposals
    assert proposal.mentee_id == waiting_id
    assert {"code": "waited_before", "params": {"mentee_rounds": 1, "mentor_rounds": 0}} in proposal.reasons
    assert scene.person(newcomer).status is ParticipantStatus.WAITLISTED


def test_refused_pairs_are_never_proposed_again_even_where_repeats_are_allowed(scene: Scene) -> None:
    # GIVEN a programme that allows repeat pairs, and a proposal the coordinator rejected
    scene.set_policy(forbid_repeat_pairs=False)
    jelena = scene.mentor("Jelena Đorđević", "jelena@example.rs", tags=["leadership"])
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt", tags=["leadership"])
    scene.run()
    rejected = scene.open_pair_of(ona)
    matching.reject(scene.storage, scene.clock, TENANT, scene.programme_id, rejected.pair_id, reason="same team")

    # WHEN the cohort is matched again
    report = scene.run()

    # THEN the same pair is not proposed; Ona waits for another mentor
    assert report.proposals == []
    assert rejected.mentor_id == jelena.participant_id
    (left,) = [u for u in report.run.unmatched if u.role == "mentee"]
    assert left.params["rule"] == "repeat_pair"


def test_a_duplicate_profile_is_reported_without_its_e_mail_and_not_waitlisted(scene: Scene) -> None:
    # GIVEN the same person stored twice under two ids (an old import)
    scene.mentor("Jelena Đorđević", "jelena@example.rs", capacity=2)
    ona = scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    copy = Participant(
        participant_id="par_0_old_import",
        tenant_id=TENANT,
        programme_id=scene.programme_id,
        profile=Profile(role=Role.MENTEE, email="ona@example.lt", name="Ona Čiurlionytė", languages=["en"]),
        status=ParticipantStatus.ACCEPTED,
        created_at=NOW,
        updated_at=NOW,
    )
    scene.storage.participants.save(copy)

    # WHEN the cohort is matched
    report = scene.run()

    # THEN one copy is matched, the other reported as a duplicate with no address kept, and nobody waitlisted
    (duplicate,) = [u for u in report.run.unmatched if u.code == "duplicate_profile"]
    assert {duplicate.participant_id, report.proposals[0].mentee_id} == {copy.participant_id, ona.participant_id}
    assert "email" not in duplicate.params
    assert "ona@example.lt" not in duplicate.sentence
    assert report.waitlisted == 0
    assert report.run.figures.duplicates == 1


def test_a_closed_programme_can_be_previewed_but_not_matched(scene: Scene) -> None:
    # GIVEN a closed programme
    scene.mentor("Jelena Đorđević", "jelena@example.rs")
    scene.mentee("Ona Čiurlionytė", "ona@example.lt")
    scene.programme = scene.storage.programmes.save(
        scene.programme.model_copy(update={"status": ProgrammeStatus.CLOSED})
    )

    # WHEN it is previewed and then run
    preview = scene.run(dry_run=True)
    with pytest.raises(Conflict):
        scene.run()

    # THEN the preview shows the pair and nothing is stored
    assert len(preview.proposals) == 1
    assert scene.pairs() == []


def test_every_participant_is_read_however_many_pages_they_fill(scene: Scene) -> None:
    # GIVEN a programme with 2,345 participants, more than two pages
    for n in range(2_345):
        scene.storage.participants.save(
            Participant(
                participant_id=f"par_{n:05d}",
                tenant_id=TENANT,
                programme_id=scene.programme_id,
                profile=Profile(role=Role.MENTEE, email=f"m{n}@example.org", name=f"Mentee {n}"),
                status=ParticipantStatus.ACCEPTED,
                created_at=NOW,
                updated_at=NOW,
            )
        )

    # WHEN they are all read
    people = matching.all_participants(scene.storage, TENANT, scene.programme_id)

    # THEN none is missing or read twice
    assert len({p.participant_id for p in people}) == 2_345


def test_a_report_cut_short_for_an_answer_still_says_how_many_proposals_there_were(scene: Scene) -> None:
    # GIVEN a run with three proposals
    scene.mentor("Jelena Đorđević", "jelena@example.rs", capacity=3)
    for n in range(3):
        scene.mentee(f"Mentee {n}", f"mentee{n}@example.org")
    report = scene.run()

    # WHEN it is cut to two proposals
    short = report.first(2)

    # THEN two are shown and the total stays three
    assert [p.pair_id for p in short.proposals] == [p.pair_id for p in report.proposals[:2]]
    assert (short.proposals_total, report.proposals_total) == (3, 3)
