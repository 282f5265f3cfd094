"""Programme events (kick-off, mentor training, closing ...), who is invited, who said yes, who came.

An event has an audience (mentors, mentees, everyone, or coordinators only), a time,
and a place or a link. Each invited participant has one ``Invitation``: their answer
(yes or no, through a signed link), the next reminder for those who said yes (N days
before, from the event's ``reminder_days``), and whether they attended (recorded by a
coordinator, or confirmed by the person through a link they are sent when the event has
ended; the coordinator's record wins over the person's). Pure: no I/O; the iCalendar text is built in
``chalicelib.events.ics``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from chalicelib.domain.common import DomainModel, HumanText, new_id, stable_id
from chalicelib.domain.participant import Role

# Events and invitations are kept this long after the event; erasure of a person removes theirs sooner.
EVENT_RETENTION = timedelta(days=2 * 365)


class EventKind(StrEnum):
    KICK_OFF = "kick_off"
    MENTOR_TRAINING = "mentor_training"
    MENTEE_PREPARATION = "mentee_preparation"
    MID_POINT_REVIEW = "mid_point_review"
    MENTOR_GATHERING = "mentor_gathering"
    SUPERVISION = "supervision"
    CLOSING = "closing"


class Audience(StrEnum):
    ALL = "all"
    MENTORS = "mentors"
    MENTEES = "mentees"
    COORDINATORS = "coordinators"

    def includes(self, role: Role) -> bool:
        if self is Audience.ALL:
            return True
        return (self is Audience.MENTORS and role is Role.MENTOR) or (self is Audience.MENTEES and role is Role.MENTEE)


class Rsvp(StrEnum):
    YES = "yes"
    NO = "no"


class ProgrammeEvent(DomainModel):
    """One dated gathering of a programme."""

    event_id: str = Field(default_factory=lambda: new_id("evt"))
    tenant_id: str
    programme_id: str
    kind: EventKind
    title: HumanText = Field(min_length=1, max_length=200)
    audience: Audience = Audience.ALL
    starts_at: datetime
    ends_at: datetime
    place: HumanText | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https://\S+$")
    reminder_days: list[Annotated[int, Field(ge=1, le=60)]] = Field(default_factory=lambda: [7, 1], max_length=5)
    required_for_matching: bool = Field(
        default=False, description="Only those of its audience who attended are matched (mentor training)."
    )
    cancelled: bool = False
    created_at: datetime
    expires_at: datetime

    @model_validator(mode="after")
    def _consistent(self) -> ProgrammeEvent:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("event times must carry a time zone offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("the event must end after it starts")
        return self


class AttendanceSource(StrEnum):
    COORDINATOR = "coordinator"
    SELF = "self"


# The step after the reminders: once the event has ended, those who said yes are asked whether they came.
ATTENDANCE_STEP = 0


class Invitation(DomainModel):
    """One participant invited to one event: their answer, their next reminder, their attendance."""

    tenant_id: str
    programme_id: str
    event_id: str
    participant_id: str
    invited_at: datetime
    rsvp: Rsvp | None = None
    answered_at: datetime | None = None
    remind_at: datetime | None = None
    reminded_for: list[int] = Field(default_factory=list, description="Days-before of the reminders sent.")
    attended: bool | None = None
    attendance_by: AttendanceSource | None = None
    expires_at: datetime


def invitation_key(event_id: str, participant_id: str) -> str:
    """The idempotency key stem of everything one invitation sends."""
    return stable_id("inv", event_id, participant_id)


def next_reminder(event: ProgrammeEvent, invitation: Invitation, now: datetime) -> tuple[datetime, int] | None:
    """The next reminder for someone who said yes: when, and how many days before; None when none is left.

    A reminder whose time has passed is skipped if a later one is also due, so someone
    who says yes the day before hears once, not twice.
    """
    if invitation.rsvp is not Rsvp.YES or event.cancelled or now >= event.starts_at:
        return None
    left = sorted((d for d in set(event.reminder_days) if d not in invitation.reminded_for), reverse=True)
    due = [(event.starts_at - timedelta(days=d), d) for d in left]
    upcoming = [item for item in due if item[0] > now]
    passed = [item for item in due if item[0] <= now]
    if passed:
        return passed[-1]
    return upcoming[0] if upcoming else None


def next_step(event: ProgrammeEvent, invitation: Invitation, now: datetime) -> tuple[datetime, int] | None:
    """The next reminder, else (for a yes whose attendance nobody recorded) the ask after the event has ended.

    The ask is ``(event.ends_at, ATTENDANCE_STEP)``; it is asked once.
    """
    reminder = next_reminder(event, invitation, now)
    if reminder is not None:
        return reminder
    if (
        invitation.rsvp is not Rsvp.YES
        or event.cancelled
        or invitation.attended is not None
        or ATTENDANCE_STEP in invitation.reminded_for
    ):
        return None
    return event.ends_at, ATTENDANCE_STEP


def answer(invitation: Invitation, rsvp: Rsvp, event: ProgrammeEvent, at: datetime) -> None:
    """Record a yes or a no (a later answer replaces an earlier one) and set the next reminder."""
    invitation.rsvp = rsvp
    invitation.answered_at = at
    upcoming = next_step(event, invitation, at)
    invitation.remind_at = upcoming[0] if upcoming is not None else None


def record_attendance(invitation: Invitation, attended: bool, by: AttendanceSource) -> bool:
    """Record whether the person came; False, changing nothing, when the person's word meets a coordinator's record."""
    if by is AttendanceSource.SELF and invitation.attendance_by is AttendanceSource.COORDINATOR:
        return False
    invitation.attended = attended
    invitation.attendance_by = by
    return True


AttendanceFigure = Literal["invited", "yes", "no", "attended"]


def attendance_figures(invitations: list[Invitation]) -> dict[AttendanceFigure, int]:
    return {
        "invited": len(invitations),
        "yes": sum(1 for i in invitations if i.rsvp is Rsvp.YES),
        "no": sum(1 for i in invitations if i.rsvp is Rsvp.NO),
        "attended": sum(1 for i in invitations if i.attended),
    }
