"""When the health sweep looks at a silent pair again: at its next ladder step, or when a shut send window opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.meetings import HealthState, PairHealth
from chalicelib.domain.pair import PairStatus
from chalicelib.services.nudges import nudge_check_at
from tests.support import builders

# A Tuesday; with meetings every 8 days and 3 days' grace the first nudge falls on Saturday 12 September.
STARTED = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
PROGRAMME = builders.programme("ten_a", "prg_a", meeting_cadence_days=8, timezone="Europe/Belgrade")
# With no history of approval, a pair starts when it was made.
PAIR = builders.pair("ten_a", "prg_a", "pair_a", status=PairStatus.ACTIVE, created_at=STARTED)
LATER = STARTED + timedelta(days=60)


def _silent(check_at: datetime = LATER) -> PairHealth:
    return PairHealth(
        state=HealthState.DUE,
        last_met_at=None,
        next_booked_at=None,
        meetings_held=0,
        meetings_expected=1,
        check_at=check_at,
    )


def test_before_the_first_step_the_pair_is_looked_at_again_when_it_falls() -> None:
    # WHEN the check time is set on the Friday before the first step
    health = nudge_check_at(PROGRAMME, PAIR, _silent(), STARTED + timedelta(days=10))

    # THEN it is the step itself, Saturday 09:00 UTC
    assert health.check_at == STARTED + timedelta(days=11)


def test_a_step_reached_at_the_weekend_brings_the_pair_back_when_the_window_opens_on_monday() -> None:
    # WHEN the check time is set on Saturday, the step reached and the window shut
    health = nudge_check_at(PROGRAMME, PAIR, _silent(), STARTED + timedelta(days=11))

    # THEN it is Monday 09:00 in Belgrade (07:00 UTC in summer time), not the next step a week later
    assert health.check_at == datetime(2026, 9, 14, 7, 0, tzinfo=UTC)


def test_a_step_reached_inside_the_window_looks_on_to_the_next_step() -> None:
    # WHEN the check time is set on a weekday noon after the first step
    health = nudge_check_at(PROGRAMME, PAIR, _silent(), datetime(2026, 9, 14, 10, 0, tzinfo=UTC))

    # THEN it is the second step, a week after the first
    assert health.check_at == STARTED + timedelta(days=18)
