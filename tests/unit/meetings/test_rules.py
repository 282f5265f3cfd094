"""The pure meeting rules: reading an event, which pair it belongs to, how it moves a meeting, when it is held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from chalicelib.domain.meetings import (
    MAX_ATTENDEES,
    Meeting,
    MeetingEvent,
    MeetingEventStatus,
    MeetingStatus,
    PairPeople,
    addresses_with_aliases,
    apply_event,
    confirm,
    pairs_for_event,
)
from tests.unit.meetings.scene import booking

START = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)
NOW = datetime(2026, 9, 5, 12, 0, tzinfo=UTC)
PAIR = PairPeople("pair_ana", mentor=frozenset({"milica@kcb.rs"}), mentee=frozenset({"ana@kcb.rs"}))


def _apply(meeting: Meeting | None, event: MeetingEvent) -> Meeting | None:
    return apply_event(meeting, event, tenant_id="ten_1", programme_id="prg_1", pair_id="pair_ana", now=NOW)


def test_an_event_keeps_times_in_utc_and_addresses_lower_case_without_rooms() -> None:
    # GIVEN an Outlook-style event in Tokyo time with a room resource and mixed-case addresses
    tokyo = datetime(2026, 9, 11, 0, 0, tzinfo=ZoneInfo("Asia/Tokyo"))

    # WHEN it is read
    event = booking("evt_1", "Milica@KCB.rs", " ANA@kcb.rs ", "Sala 3", start=tokyo)

    # THEN times are UTC, addresses normalised, and what is no address is dropped
    assert event.start == datetime(2026, 9, 10, 15, 0, tzinfo=UTC)
    assert event.start.tzinfo is UTC
    assert event.addresses == frozenset({"milica@kcb.rs", "ana@kcb.rs"})


def test_an_event_without_time_zone_or_ending_before_it_starts_is_refused() -> None:
    # GIVEN / WHEN / THEN a naive start and a negative duration are both refused
    with pytest.raises(ValidationError):
        booking("evt_1", "milica@kcb.rs", "ana@kcb.rs", start=START.replace(tzinfo=None))
    with pytest.raises(ValidationError):
        booking("evt_1", "milica@kcb.rs", "ana@kcb.rs", start=START, minutes=-5)


def test_an_event_with_thousands_of_attendees_is_cut_not_refused() -> None:
    # GIVEN an all-hands with far more guests than any meeting of a pair
    crowd = [f"person{n}@kcb.rs" for n in range(MAX_ATTENDEES + 500)]

    # WHEN it is read
    event = booking("evt_all", "ceo@kcb.rs", *crowd, start=START)

    # THEN it keeps a bounded list
    assert len(event.attendee_emails) == MAX_ATTENDEES


def test_an_event_belongs_to_a_pair_only_when_both_people_are_on_it_in_any_case() -> None:
    # GIVEN events with both people, with only the mentee, and with strangers
    both = booking("evt_1", "ANA@kcb.rs", "Milica@kcb.rs", "boss@kcb.rs", start=START)
    mentee_only = booking("evt_2", "ana@kcb.rs", "boss@kcb.rs", start=START)
    strangers = booking("evt_3", "x@other.org", "y@other.org", start=START)

    # WHEN / THEN only the first belongs to the pair
    assert pairs_for_event(both, [PAIR]) == ["pair_ana"]
    assert pairs_for_event(mentee_only, [PAIR]) == []
    assert pairs_for_event(strangers, [PAIR]) == []


def test_a_group_event_counts_for_each_pair_on_it() -> None:
    # GIVEN two pairs sharing a mentor, and one event with all three people
    other = PairPeople("pair_jonas", mentor=frozenset({"milica@kcb.rs"}), mentee=frozenset({"jonas@kcb.lt"}))
    group = booking("evt_group", "milica@kcb.rs", "ana@kcb.rs", "jonas@kcb.lt", start=START)

    # WHEN / THEN it belongs to both pairs
    assert pairs_for_event(group, [PAIR, other]) == ["pair_ana", "pair_jonas"]


def test_a_person_is_found_by_an_alias_they_added() -> None:
    # GIVEN a mentee who books from a private address she added as an alias
    mentee = addresses_with_aliases("Ana@kcb.rs", {"ana@kcb.rs": ["Ana.Private@Gmail.com"]})
    pair = PairPeople("pair_ana", mentor=frozenset({"milica@kcb.rs"}), mentee=mentee)

    # WHEN an event has her private address
    event = booking("evt_1", "milica@kcb.rs", "ana.private@gmail.com", start=START)

    # THEN it belongs to her pair
    assert pairs_for_event(event, [pair]) == ["pair_ana"]


def test_a_booking_creates_a_scheduled_meeting_and_the_same_booking_again_changes_nothing() -> None:
    # GIVEN a booking
    event = booking("evt_1", "milica@kcb.rs", "ana@kcb.rs", start=START, sequence=0)

    # WHEN it is applied twice
    created = _apply(None, event)
    assert created is not None
    again = _apply(created, event)

    # THEN the first creates a scheduled meeting at its times and the second is nothing new
    assert (created.status, created.starts_at, created.ends_at) == (
        MeetingStatus.SCHEDULED,
        START,
        START + timedelta(hours=1),
    )
    assert again is None


def test_a_newer_sequence_moves_the_meeting_and_an_older_one_does_not_move_it_back() -> None:
    # GIVEN a meeting booked at sequence 0 and moved a day later at sequence 1
    first = booking("evt_1", "milica@kcb.rs", "ana@kcb.rs", start=START, sequence=0)
    moved = booking("evt_1", "milica@kcb.rs", "ana@kcb.rs", start=START + timedelta(days=1), sequence=1)
    meeting = _apply(None, first)

    # WHEN the move arrives, then the first booking once more (a late retry)
    after_move = _apply(meeting, moved)
    assert after_move is not None
    late = _apply(after_move, first)

    # THEN the meeting sits at the new time and the late word is ignored
    assert after_move.starts_at == START + timedelta(days=1)
    assert late is None


def test_a_cancellation_before_its_booking_is_remembered() -> None:
    # GIVEN the cancellation of a booking whose creation has not arrived yet (same version)
    booked = booking("evt_1", "milica@kcb.rs", "ana@kcb.rs", start=START)
    cancelled = booking("evt_1", "milica@kcb.rs", "ana@kcb.rs", start=START, status=MeetingEventStatus.CANCELLED)

    # WHEN the cancellation comes first and the booking after it
    meeting = _apply(None, cancelled)
    assert meeting is not None
    after = _apply(meeting, booked)

    # THEN the meeting is cancelled and stays so
    assert meeting.status is MeetingStatus.CANCELLED
    assert after is None


def test_a_meeting_is_held_once_it_has_ended_uncancelled_or_the_vendor_says_so() -> None:
    # GIVEN a booked, a cancelled and a vendor-ended meeting
    booked = _apply(None, booking("evt_1", "milica@kcb.rs", "ana@kcb.rs", start=START))
    cancelled = _apply(
        None, booking("evt_2", "milica@kcb.rs", "ana@kcb.rs", start=START, status=MeetingEventStatus.CANCELLED)
    )
    ended = _apply(None, booking("evt_3", "milica@kcb.rs", "ana@kcb.rs", start=START, status=MeetingEventStatus.ENDED))
    assert booked is not None
    assert cancelled is not None
    assert ended is not None

    # WHEN / THEN before its end only the vendor's "ended" counts; after it the booked one counts too
    assert [m.held(START) for m in (booked, cancelled, ended)] == [False, False, True]
    after = START + timedelta(hours=2)
    assert [m.held(after) for m in (booked, cancelled, ended)] == [True, False, True]


def test_what_the_people_confirm_outranks_what_the_calendar_says() -> None:
    # GIVEN a booked meeting that has ended by the calendar
    meeting = _apply(None, booking("evt_1", "milica@kcb.rs", "ana@kcb.rs", start=START))
    assert meeting is not None
    after = START + timedelta(hours=2)

    # WHEN the mentee says they did not meet, and says it again
    missed = confirm(meeting, met=False, now=after)
    assert missed is not None

    # THEN it is not held and the repeat changes nothing
    assert missed.held(after) is False
    assert confirm(missed, met=False, now=after) is None


def test_an_all_day_event_is_a_meeting_of_a_whole_day() -> None:
    # GIVEN an all-day event as a calendar sends it (midnight to midnight)
    midnight = datetime(2026, 9, 12, tzinfo=UTC)
    event = MeetingEvent(
        source="google-calendar",
        external_id="evt_day",
        status=MeetingEventStatus.BOOKED,
        start=midnight,
        end=midnight + timedelta(days=1),
        organiser_email="milica@kcb.rs",
        attendee_emails=["ana@kcb.rs"],
    )

    # WHEN it is applied
    meeting = _apply(None, event)

    # THEN it is held once the day is over
    assert meeting is not None
    assert meeting.held(midnight + timedelta(hours=23)) is False
    assert meeting.held(midnight + timedelta(days=1)) is True
