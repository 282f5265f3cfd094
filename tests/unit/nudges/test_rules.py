"""Nudge rules: the ladder by days of silence, nothing while booked, and the weekday send window across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.domain.nudges import Ladder, SendWindow, due_step, next_step_at, silence_since

STARTED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
BELGRADE = ZoneInfo("Europe/Belgrade")


def test_the_ladder_climbs_at_14_21_and_28_days_then_reaches_the_coordinator_a_week_later() -> None:
    ladder = Ladder()
    reached = {
        day: due_step(ladder, STARTED, STARTED + timedelta(days=day), booked=False) for day in (13, 14, 21, 28, 35)
    }
    assert reached == {13: None, 14: "nudge1", 21: "nudge2", 28: "nudge3", 35: "coordinator"}


def test_nothing_is_due_while_a_meeting_is_booked_and_a_held_meeting_restarts_the_silence() -> None:
    ladder = Ladder()
    assert due_step(ladder, STARTED, STARTED + timedelta(days=30), booked=True) is None
    met = STARTED + timedelta(days=20)
    assert silence_since(STARTED, met) == met
    assert next_step_at(ladder, met, met) == met + timedelta(days=14)


def test_a_programme_can_start_the_ladder_later_with_the_same_weekly_steps() -> None:
    assert Ladder.starting_at(30).nudge_days == (30, 37, 44)


def test_the_first_nudge_falls_when_the_cadence_and_its_grace_days_have_passed() -> None:
    assert Ladder.for_rhythm(cadence_days=7, grace_days=3).nudge_days == (10, 17, 24)
    assert Ladder.for_rhythm(cadence_days=30, grace_days=3).nudge_days == (33, 40, 47)


def test_a_first_nudge_day_the_programme_sets_wins_over_its_cadence() -> None:
    assert Ladder.for_rhythm(cadence_days=30, grace_days=3, first_day=10).nudge_days == (10, 17, 24)


def test_the_send_window_waits_for_monday_morning_local_time() -> None:
    # GIVEN Saturday 24 October 2026, 22:00 in Belgrade
    saturday_night = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    # WHEN the window is asked
    opens = SendWindow().next_open(saturday_night, BELGRADE)
    # THEN it is Monday 09:00 Belgrade time, which after the clocks went back on Sunday is 08:00 UTC
    assert opens == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_inside_the_window_a_nudge_goes_at_once_and_after_18_it_waits_for_the_next_morning() -> None:
    window = SendWindow()
    tuesday_noon = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)  # 12:00 in Belgrade, summer time since Sunday
    tuesday_evening = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 18:30 in Belgrade
    assert window.next_open(tuesday_noon, BELGRADE) == tuesday_noon
    assert window.next_open(tuesday_evening, BELGRADE) == datetime(2026, 4, 1, 7, 0, tzinfo=UTC)
