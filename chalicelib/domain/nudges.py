"""Nudges for silent pairs: a ladder of reminders by days of silence, then the coordinator, in a send window.

Silence counts from the pair's last held meeting, or from its start. The first nudge
falls when the pair has missed its meeting cadence by some grace days, the later ones
a week apart. A pair with a
meeting booked is never nudged. Each step is sent once per silence: a meeting held
restarts the ladder. A nudge waits for the recipient's send window (weekdays 09:00 to
18:00 local time by default), computed on local wall time so a daylight-saving change
moves nothing. A pair carries a ``Contact`` of each of its two people (what the nudge
texts need), so a sweep reads the due pairs and nothing else. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.participant import Participant, ParticipantStatus, Profile, Role

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

    @classmethod
    def for_rhythm(cls, *, cadence_days: int, grace_days: int, first_day: int | None = None) -> Ladder:
        """A pair's ladder: first nudge at ``first_day`` when one is set, else once the cadence plus grace has passed.

        A pair that meets weekly is looked after within days; one that meets monthly is
        left alone for a month, so a fixed first step would be too late for one and too
        early for the other.
        """
        return cls.starting_at(first_day if first_day is not None else cadence_days + grace_days)

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


class Contact(BaseModel):
    """One person of a pair as a nudge addresses them: kept on the pair, current with the participant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    participant_id: str
    role: Role
    name: str
    email: str
    language: str | None = None
    timezone: str | None = None


def contact_of(person: Participant) -> Contact:
    profile = person.profile
    return Contact(
        participant_id=person.participant_id,
        role=profile.role,
        name=profile.name,
        email=profile.email,
        language=profile.language,
        timezone=profile.timezone,
    )


def recipient_of(contact: Contact, *, tenant_id: str, programme_id: str, at: datetime) -> Participant:
    """The participant a message to ``contact`` is addressed to, as far as a message needs one."""
    profile = Profile(
        role=contact.role, email=contact.email, name=contact.name, language=contact.language, timezone=contact.timezone
    )
    return Participant(
        participant_id=contact.participant_id,
        tenant_id=tenant_id,
        programme_id=programme_id,
        profile=profile,
        status=ParticipantStatus.MATCHED,
        created_at=at,
        updated_at=at,
    )
