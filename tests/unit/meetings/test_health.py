"""Pair health: last held, next booked, held against the cadence, and the state, across a programme cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.meetings import (
    HealthPolicy,
    HealthState,
    Meeting,
    MeetingStatus,
    pair_health,
)

STARTED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
POLICY = HealthPolicy.of(cadence_days=30, escalate_after_days=90)


def _meeting(day: int, status: MeetingStatus = MeetingStatus.SCHEDULED, **fields: object) -> Meeting:
    start = STARTED + timedelta(days=day)
    return Meeting(
        meeting_id=f"mtg_{day}",
        tenant_id="ten_1",
        programme_id="prg_1",
        pair_id="pair_1",
        source="calcom",
        external_id=f"bk_{day}",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=status,
        updated_at=STARTED,
        **fields,  # type: ignore[arg-type]
    )


def _at(day: float) -> datetime:
    return STARTED + timedelta(days=day)


def test_a_new_pair_is_on_track_then_due_overdue_and_silent_without_meetings() -> None:
    # GIVEN a pair that never meets, with a 30-day cadence and escalation after 90 days
    # WHEN its health is taken over the cycle
    states = [pair_health([], started_at=STARTED, policy=POLICY, now=_at(day)).state for day in (0, 29, 30, 60, 90)]

    # THEN it moves along the ladder at each threshold
    assert states == [
        HealthState.ON_TRACK,
        HealthState.ON_TRACK,
        HealthState.DUE,
        HealthState.OVERDUE,
        HealthState.SILENT,
    ]


def test_a_booked_meeting_keeps_the_pair_on_track_and_the_check_comes_at_its_end() -> None:
    # GIVEN a pair 40 days in, with a meeting booked for day 45
    booked = _meeting(45)

    # WHEN its health is taken on day 40
    health = pair_health([booked], started_at=STARTED, policy=POLICY, now=_at(40))

    # THEN it is on track, shows the booking, and asks to be looked at when that meeting ends
    assert health.state is HealthState.ON_TRACK
    assert health.next_booked_at == booked.starts_at
    assert health.check_at == booked.ends_at


def test_held_meetings_restart_the_clock_and_are_counted_against_the_cadence() -> None:
    # GIVEN meetings held on days 10 and 50, one cancelled on day 80
    meetings = [_meeting(10), _meeting(50), _meeting(80, MeetingStatus.CANCELLED)]

    # WHEN health is taken on day 85 and on day 111
    on_85 = pair_health(meetings, started_at=STARTED, policy=POLICY, now=_at(85))
    on_111 = pair_health(meetings, started_at=STARTED, policy=POLICY, now=_at(111))

    # THEN two are held of the two (then three) the cadence asks, and the clock runs from day 50
    assert (on_85.meetings_held, on_85.meetings_expected, on_85.last_met_at) == (2, 2, _meeting(50).starts_at)
    assert on_85.state is HealthState.DUE
    assert on_85.check_at == _at(50) + timedelta(days=60)
    assert (on_111.meetings_expected, on_111.state) == (3, HealthState.OVERDUE)


def test_a_meeting_the_people_say_did_not_happen_does_not_count() -> None:
    # GIVEN a meeting on day 20 that the mentee says they missed
    missed = _meeting(20, confirmed=False)

    # WHEN health is taken on day 35
    health = pair_health([missed], started_at=STARTED, policy=POLICY, now=_at(35))

    # THEN nothing is held and the pair is due
    assert (health.meetings_held, health.last_met_at, health.state) == (0, None, HealthState.DUE)


def test_silence_never_comes_before_overdue_whatever_the_programme_configures() -> None:
    # GIVEN a programme escalating after 10 days with a 30-day cadence
    policy = HealthPolicy.of(cadence_days=30, escalate_after_days=10)

    # WHEN / THEN the pair is only due on day 30, overdue on 60, silent on 90
    assert pair_health([], started_at=STARTED, policy=policy, now=_at(30)).state is HealthState.DUE
    assert pair_health([], started_at=STARTED, policy=policy, now=_at(60)).state is HealthState.OVERDUE
    assert pair_health([], started_at=STARTED, policy=policy, now=_at(90)).state is HealthState.SILENT
