"""Nudges for silent pairs: a ladder of reminders by days of silence, then the coordinator, in a send window.

Silence counts from the pair's last held meeting, or from its start. A pair with a
meeting booked is never nudged. Each step is sent once per silence: a meeting held
restarts the ladder. A nudge waits for the recipient's send window (weekdays 09:00 to
18:00 local time by default), computed on local wall time so a daylight-saving change
moves nothing. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_LADDER_DAYS: tuple[int, ...] = (14, 21, 28)
# The coordinator hears a week after the last nudge to the pair.
ESCALATE_AFTER_LAST_NUDGE = timedelta(days=7)


@dataclass(frozen=True)
class Ladder:
    """Days of silence at which the pair is nudged, and when the coordinator is told."""

    nudge_days: tuple[int, ...] = DEFAULT_LADDER_DAYS

    @classmethod
    def starting_at(cls, first_day: int | None) -> Ladder:
        """The default ladder, or one starting at ``first_day`` with the same weekly steps."""
        if first_day is None:
            return cls()
        return cls(tuple(first_day + 7 * n for n in range(len(DEFAULT_LADDER_DAYS))))

    def steps(self, since: datetime) -> list[tuple[str, datetime]]:
        """Every step (``nudge1``…, then ``coordinator``) with the time it falls due."""
        nudges = [(f"nudge{n + 1}", since + timedelta(days=d)) for n, d in enumerate(self.nudge_days)]
        return [*nudges, ("coordinator", nudges[-1][1] + ESCALATE_AFTER_LAST_NUDGE)]


def silence_since(started_at: datetime, last_met_at: datetime | None) -> datetime:
    return max(last_met_at, started_at) if last_met_at is not None else started_at


def due_step(ladder: Ladder, since: datetime, now: datetime, *, booked: bool) -> str | None:
    """The highest step whose time has come; None while a meeting is booked or before the first step.

    Only the highest is sent: a pair that was not looked at for weeks hears the step it
    has reached, not every step it passed.
    """
    if booked:
        return None
    reached = [name for name, at in ladder.steps(since) if at <= now]
    return reached[-1] if reached else None


def next_step_at(ladder: Ladder, since: datetime, now: datetime) -> datetime | None:
    return min((at for _, at in ladder.steps(since) if at > now), default=None)


@dataclass(frozen=True)
class SendWindow:
    """Local hours on weekdays in which a person may be nudged."""

    start_hour: int = 9
    end_hour: int = 18
    weekdays: frozenset[int] = frozenset(range(5))

    def next_open(self, now: datetime, zone: ZoneInfo) -> datetime:
        """The first moment at or after ``now`` inside the window, in ``zone``'s wall time (in UTC's offset of now)."""
        local = now.astimezone(zone)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            if day.weekday() not in self.weekdays:
                continue
            opens = datetime.combine(day, time(self.start_hour), tzinfo=zone)
            closes = datetime.combine(day, time(self.end_hour), tzinfo=zone)
            if local < closes:
                return max(local, opens).astimezone(now.tzinfo)
        raise ValueError("a send window must open on at least one weekday")
