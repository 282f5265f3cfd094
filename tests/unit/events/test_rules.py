"""Event rules: who is in an audience, and when those who said yes are reminded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.events import (
    ATTENDANCE_STEP,
    AttendanceSource,
    Audience,
    EventKind,
    Invitation,
    ProgrammeEvent,
    Rsvp,
    answer,
    next_reminder,
    next_step,
    record_attendance,
)
from chalicelib.domain.participant import Role

STARTS = datetime(2026, 10, 20, 16, 0, tzinfo=UTC)


def _event(**fields: object) -> ProgrammeEvent:
    values: dict[str, object] = {
        "event_id": "evt_1",
        "tenant_id": "ten_a",
        "programme_id": "prg_1",
        "kind": EventKind.KICK_OFF,
        "title": "Kick-off",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=2),
        "reminder_days": [7, 1],
        "created_at": STARTS - timedelta(days=30),
        "expires_at": STARTS + timedelta(days=730),
    }
    return ProgrammeEvent.model_validate(values | fields)


def _invitation() -> Invitation:
    return Invitation(
        tenant_id="ten_a",
        programme_id="prg_1",
        event_id="evt_1",
        participant_id="par_ana",
        invited_at=STARTS - timedelta(days=30),
        expires_at=STARTS + timedelta(days=730),
    )


def test_audiences_include_the_roles_they_name_and_coordinators_no_participant() -> None:
    assert [a for a in Audience if a.includes(Role.MENTOR)] == [Audience.ALL, Audience.MENTORS]
    assert [a for a in Audience if a.includes(Role.MENTEE)] == [Audience.ALL, Audience.MENTEES]


def test_a_yes_a_month_ahead_is_reminded_7_days_before_first() -> None:
    # GIVEN an invitation answered yes a month before
    invitation = _invitation()
    # WHEN the answer is recorded
    answer(invitation, Rsvp.YES, _event(), STARTS - timedelta(days=30))
    # THEN the first reminder is a week before
    assert invitation.remind_at == STARTS - timedelta(days=7)


def test_a_yes_the_day_before_gets_one_reminder_at_once_not_two() -> None:
    # GIVEN a yes given 30 hours before, when the 7-day and the 1-day reminders have both passed or nearly
    invitation = _invitation()
    now = STARTS - timedelta(hours=20)
    answer(invitation, Rsvp.YES, _event(), now)
    # THEN only the 1-day reminder is due, now
    assert next_reminder(_event(), invitation, now) == (STARTS - timedelta(days=1), 1)


def test_a_no_or_a_cancelled_event_is_never_reminded() -> None:
    invitation = _invitation()
    answer(invitation, Rsvp.NO, _event(), STARTS - timedelta(days=30))
    assert invitation.remind_at is None
    invitation.rsvp = Rsvp.YES
    assert next_reminder(_event(cancelled=True), invitation, STARTS - timedelta(days=30)) is None


def test_after_the_last_reminder_a_yes_is_asked_once_whether_they_came_when_the_event_ends() -> None:
    # GIVEN a yes whose reminders were all sent
    event = _event()
    invitation = _invitation()
    answer(invitation, Rsvp.YES, event, STARTS - timedelta(days=30))
    invitation.reminded_for = sorted(event.reminder_days)
    # WHEN the next step is computed before the event, then once the attendance was asked
    step = next_step(event, invitation, STARTS - timedelta(hours=1))
    invitation.reminded_for = [*invitation.reminded_for, ATTENDANCE_STEP]
    # THEN the ask comes at the event's end, and only once
    assert step == (event.ends_at, ATTENDANCE_STEP)
    assert next_step(event, invitation, event.ends_at) is None


def test_a_persons_word_on_attendance_never_replaces_a_coordinators_record_but_the_reverse_does() -> None:
    # GIVEN an invitation the person marked as attended
    invitation = _invitation()
    assert record_attendance(invitation, True, AttendanceSource.SELF)
    # WHEN the coordinator records them absent, and the person says again they came
    assert record_attendance(invitation, False, AttendanceSource.COORDINATOR)
    taken = record_attendance(invitation, True, AttendanceSource.SELF)
    # THEN the coordinator's record stands
    assert not taken
    assert (invitation.attended, invitation.attendance_by) == (False, AttendanceSource.COORDINATOR)
