"""apply_meeting_event: the pair's log and health from events, nothing for strangers, order and repeats immaterial."""

from __future__ import annotations

import random
from datetime import timedelta

from chalicelib.clock import FixedClock
from chalicelib.domain.meetings import HealthState, MeetingEvent, MeetingEventStatus, MeetingStatus
from chalicelib.domain.pair import PairStatus
from chalicelib.services.meetings import check_due_health
from chalicelib.storage.repositories import in_memory_storage
from tests.unit.meetings.scene import APPROVED_AT, Scene, booking, build_scene

START = APPROVED_AT + timedelta(days=10)


def _log(scene: Scene, pair_id: str) -> list[tuple[str, str, str, object, object]]:
    meetings = scene.storage.meetings.for_pair("ten_kcb", scene.programme_id, pair_id)
    return sorted(
        (
            m.external_id,
            m.status.value if m.moved_to is None else f"moved to {m.moved_to}",
            m.source,
            m.starts_at if m.moved_to is None else None,
            m.ends_at if m.moved_to is None else None,
        )
        for m in meetings
    )


def test_a_booking_of_a_pair_stores_only_times_status_source_and_vendor_id(scene: Scene) -> None:
    # GIVEN a running pair
    pair = scene.pair("milica@kcb.rs", "ana@kcb.rs")

    # WHEN the mentee books a meeting with her mentor and a colleague
    outcome = scene.tell(booking("bk_1", "Milica@kcb.rs", "ana@kcb.rs", "colleague@kcb.rs", start=START))

    # THEN one scheduled meeting is stored for the pair, with nothing about the other guest
    assert outcome.pair_ids == (pair.pair_id,)
    (meeting,) = scene.meetings(pair)
    assert (meeting.source, meeting.external_id, meeting.status) == ("calcom", "bk_1", MeetingStatus.SCHEDULED)
    assert (meeting.starts_at, meeting.ends_at) == (START, START + timedelta(hours=1))
    assert "colleague" not in meeting.model_dump_json()


def test_an_event_of_strangers_or_of_one_person_of_the_pair_stores_nothing(scene: Scene) -> None:
    # GIVEN a running pair
    pair = scene.pair("milica@kcb.rs", "ana@kcb.rs")
    before = scene.stored(pair)

    # WHEN strangers book, and the mentee books with someone else
    strangers = scene.tell(booking("bk_x", "x@other.org", "y@other.org", start=START))
    alone = scene.tell(booking("bk_y", "ana@kcb.rs", "hr@kcb.rs", start=START))

    # THEN neither belongs to a pair and nothing changed
    assert (strangers.matched, alone.matched) == (False, False)
    assert scene.meetings(pair) == []
    assert scene.stored(pair) == before


def test_a_pair_that_is_only_proposed_gets_no_meetings(scene: Scene) -> None:
    # GIVEN a proposed pair (not approved yet)
    pair = scene.pair("milica@kcb.rs", "ana@kcb.rs", status=PairStatus.PROPOSED)

    # WHEN the two book a meeting
    outcome = scene.tell(booking("bk_1", "milica@kcb.rs", "ana@kcb.rs", start=START))

    # THEN nothing is stored
    assert not outcome.matched
    assert scene.meetings(pair) == []


def test_shuffled_and_duplicated_notifications_end_in_the_same_log_as_one_clean_delivery() -> None:
    # GIVEN a pair's notifications: a booking and its move, a booking cancelled and rescheduled into
    # a new one, and a booking that ended
    people = ("milica@kcb.rs", "ana@kcb.rs")
    events = [
        booking("bk_1", *people, start=START, sequence=0),
        booking("bk_1", *people, start=START + timedelta(days=1), sequence=1),
        booking("bk_2", *people, start=START + timedelta(days=20), updated_at=APPROVED_AT),
        booking(
            "bk_2",
            *people,
            start=START + timedelta(days=20),
            status=MeetingEventStatus.CANCELLED,
            updated_at=APPROVED_AT + timedelta(hours=1),
        ),
        booking(
            "bk_3",
            *people,
            start=START + timedelta(days=22),
            rescheduled_from="bk_2",
            updated_at=APPROVED_AT + timedelta(hours=1),
        ),
        booking("bk_4", *people, start=START + timedelta(days=40)),
        booking("bk_4", *people, start=START + timedelta(days=40), status=MeetingEventStatus.ENDED),
    ]

    def deliver(order: list[MeetingEvent]) -> tuple[list[tuple[str, str, str, object, object]], object]:
        scene = build_scene(in_memory_storage(), FixedClock(APPROVED_AT + timedelta(days=5)))
        pair = scene.pair(*people)
        for event in order:
            scene.tell(event)
        stored = scene.stored(pair)
        return _log(scene, pair.pair_id), (stored.health, stored.next_booked_at, stored.meetings_held)

    clean = deliver(events)
    shuffler = random.Random(20260901)

    # WHEN the same notifications arrive shuffled and duplicated, many times over
    for _ in range(30):
        noisy = events + shuffler.sample(events, k=4)
        shuffler.shuffle(noisy)

        # THEN every delivery ends in the log and health of the clean one
        assert deliver(noisy) == clean

    log, _ = clean
    assert log == sorted(
        [
            ("bk_1", "scheduled", "calcom", START + timedelta(days=1), START + timedelta(days=1, hours=1)),
            ("bk_2", "moved to bk_3", "calcom", None, None),
            ("bk_3", "scheduled", "calcom", START + timedelta(days=22), START + timedelta(days=22, hours=1)),
            ("bk_4", "held", "calcom", START + timedelta(days=40), START + timedelta(days=40, hours=1)),
        ]
    )


def test_a_group_event_counts_for_each_pair_on_it(scene: Scene) -> None:
    # GIVEN two pairs sharing a mentor
    first = scene.pair("milica@kcb.rs", "ana@kcb.rs")
    second = scene.pair("milica@kcb.rs", "jonas@kcb.lt")

    # WHEN the mentor holds one group session with both mentees
    scene.tell(
        booking("grp_1", "milica@kcb.rs", "ana@kcb.rs", "jonas@kcb.lt", start=START, status=MeetingEventStatus.ENDED)
    )

    # THEN each pair has held one meeting
    assert [scene.stored(p).meetings_held for p in (first, second)] == [1, 1]


def test_the_health_job_finds_due_pairs_by_query_across_a_programme_cycle(scene: Scene) -> None:
    # GIVEN a pair that books a meeting for day 10 and a pair that never meets
    meeting = scene.pair("milica@kcb.rs", "ana@kcb.rs")
    silent = scene.pair("petra@kcb.si", "soren@kcb.dk")
    scene.clock.advance(timedelta(days=5))
    scene.tell(booking("bk_1", "milica@kcb.rs", "ana@kcb.rs", start=START))
    booked = scene.stored(meeting)

    # WHEN the health job runs every day for 130 days
    seen: dict[str, list[str]] = {meeting.pair_id: [], silent.pair_id: []}
    for _ in range(130):
        scene.clock.advance(timedelta(days=1))
        check_due_health(storage=scene.storage, clock=scene.clock)
        for pair in (meeting, silent):
            health = scene.stored(pair).health
            states = seen[pair.pair_id]
            if health is not None and (not states or states[-1] != health.value):
                states.append(health.value)

    # THEN the booking showed at once, the meeting counted once it ended, and both pairs walked the ladder
    assert (booked.health, booked.next_booked_at, booked.next_due_at) == (
        HealthState.ON_TRACK,
        START,
        START + timedelta(hours=1),
    )
    assert seen[silent.pair_id] == ["on_track", "due", "overdue", "silent"]
    assert seen[meeting.pair_id] == ["on_track", "due", "overdue", "silent"]
    after = scene.stored(meeting)
    assert (after.meetings_held, after.last_met_at) == (1, START)
    assert after.next_due_at is None


def test_each_occurrence_of_a_recurring_meeting_counts_once(scene: Scene) -> None:
    # GIVEN a pair meeting weekly, each occurrence with its own vendor id, all told twice
    pair = scene.pair("milica@kcb.rs", "ana@kcb.rs")
    occurrences = [
        booking(
            f"series-1_{week}",
            "milica@kcb.rs",
            "ana@kcb.rs",
            start=START + timedelta(weeks=week),
            source="google-calendar",
        )
        for week in range(3)
    ]

    # WHEN every notification arrives twice and the last occurrence is over
    for event in occurrences + occurrences:
        scene.tell(event)
    scene.clock.advance(timedelta(days=40))
    check_due_health(storage=scene.storage, clock=scene.clock)

    # THEN three meetings are logged and held
    assert len(scene.meetings(pair)) == 3
    assert scene.stored(pair).meetings_held == 3
