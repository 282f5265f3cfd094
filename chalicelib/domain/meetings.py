"""Meetings of pairs: what a calendar or booking tool tells, how it moves a pair's meeting log, and pair health.

Pure rules, no I/O. Every source (Calendly, Cal.com, Google Calendar, Microsoft 365, an
invitation sent to the programme's address, a coordinator, the people themselves)
produces the same ``MeetingEvent``; ``apply_event`` folds it into the one ``Meeting``
kept per pair and vendor event, so that events arriving twice or out of order end in
the same log. Only what the log needs is kept: times, status, source and vendor id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.common import DomainModel, normalise_email, stable_id
from chalicelib.domain.payloads import IrrelevantEvent, PayloadParseError

# More than enough for an all-hands; beyond it an event is no mentoring meeting and is cut, not refused.
MAX_ATTENDEES = 1000
EXTERNAL_ID_MAX = 500


class MeetingEventStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    ENDED = "ended"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times must carry a time zone")
    return value.astimezone(UTC)


def _addresses(values: Iterable[str]) -> list[str]:
    kept: dict[str, None] = {}
    for value in values:
        try:
            kept[normalise_email(value)] = None
        except ValueError:
            continue  # a room, a group alias without a domain: nobody a pair is made of
    return list(kept)


class MeetingEvent(BaseModel):
    """One vendor's word about one meeting (for a recurring event, about one occurrence)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, max_length=40)
    external_id: str = Field(min_length=1, max_length=EXTERNAL_ID_MAX)
    status: MeetingEventStatus
    start: datetime
    end: datetime
    organiser_email: str | None = None
    attendee_emails: list[str] = Field(default_factory=list)
    sequence: int | None = Field(default=None, ge=0)
    updated_at: datetime | None = None
    rescheduled_from: str | None = Field(default=None, max_length=EXTERNAL_ID_MAX)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _utc(value)

    @field_validator("updated_at")
    @classmethod
    def _aware_or_none(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _utc(value)

    @field_validator("organiser_email")
    @classmethod
    def _organiser(cls, value: str | None) -> str | None:
        found = _addresses([value]) if value else []
        return found[0] if found else None

    @field_validator("attendee_emails")
    @classmethod
    def _attendees(cls, value: list[str]) -> list[str]:
        return _addresses(value)[:MAX_ATTENDEES]

    @model_validator(mode="after")
    def _ordered(self) -> MeetingEvent:
        if self.end < self.start:
            raise ValueError("the meeting ends before it starts")
        return self

    @property
    def addresses(self) -> frozenset[str]:
        """Everyone on the event, organiser included, normalised."""
        people = set(self.attendee_emails)
        if self.organiser_email:
            people.add(self.organiser_email)
        return frozenset(people)


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"


class Meeting(DomainModel):
    """One meeting of a pair, as told by a calendar or booking tool, a coordinator or the pair.

    ``status`` is what the vendor last said (``held`` when it said the meeting ended);
    ``confirmed`` is what the people or a coordinator said and outranks it. A meeting
    that was rescheduled into another vendor event keeps ``moved_to`` and leaves the log.
    """

    meeting_id: str
    tenant_id: str
    programme_id: str
    pair_id: str
    source: str
    external_id: str
    starts_at: datetime
    ends_at: datetime | None = None
    status: MeetingStatus = MeetingStatus.SCHEDULED
    sequence: int | None = None
    vendor_updated_at: datetime | None = None
    moved_to: str | None = None
    confirmed: bool | None = Field(default=None, description="We met (true) or we did not (false), said by a person.")
    updated_at: datetime

    def held(self, now: datetime) -> bool:
        """Held once ended uncancelled, or when the vendor or a person says so."""
        if self.confirmed is not None:
            return self.confirmed
        if self.moved_to is not None or self.status is MeetingStatus.CANCELLED:
            return False
        if self.status is MeetingStatus.HELD:
            return True
        return (self.ends_at or self.starts_at) <= now

    def live(self) -> bool:
        """Still in the pair's log: neither cancelled nor moved into another event."""
        return self.moved_to is None and self.status is not MeetingStatus.CANCELLED and self.confirmed is not False


def awaiting_confirmation(meeting: Meeting, now: datetime, *, within: timedelta) -> bool:
    """Whether to ask the pair "did you meet?": booked, its time over (lately), and nobody has said yet.

    A vendor's "it ended" settles it already; so does any word from a person.
    """
    end = meeting.ends_at or meeting.starts_at
    return (
        meeting.live()
        and meeting.status is MeetingStatus.SCHEDULED
        and meeting.confirmed is None
        and end <= now < end + within
    )


def confirmation_subject(pair_id: str, meeting_id: str) -> str:
    """The subject a "did you meet?" link names: the meeting, within its pair."""
    return f"{pair_id}:{meeting_id}"


def read_confirmation_subject(subject: str) -> tuple[str, str] | None:
    pair_id, sep, meeting_id = subject.partition(":")
    return (pair_id, meeting_id) if sep and pair_id and meeting_id else None


def meeting_id_for(tenant_id: str, programme_id: str, pair_id: str, source: str, external_id: str) -> str:
    """One meeting per pair and vendor event: notifications about it always find the same record."""
    return stable_id("mtg", tenant_id, programme_id, pair_id, source, external_id)


# --- Which pair ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairPeople:
    """An open pair as the matching rule sees it: the addresses of each of its two people."""

    pair_id: str
    mentor: frozenset[str]
    mentee: frozenset[str]


def pairs_for_event(event: MeetingEvent, pairs: Sequence[PairPeople]) -> list[str]:
    """The pairs both of whose people are among the organiser and attendees (a group event may hold several)."""
    present = event.addresses
    return [pair.pair_id for pair in pairs if pair.mentor & present and pair.mentee & present]


def addresses_with_aliases(email: str, aliases: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """A person's addresses: the one they signed up with and those they added, all normalised."""
    primary = normalise_email(email)
    return frozenset({primary, *_addresses(aliases.get(primary, ()))})


# --- How an event moves a meeting ---------------------------------------------------------------------------

# Between two words about one event that cannot be ordered by version, the later state wins:
# a cancellation is final for the vendors that send no version, and an end follows a booking.
_STATE_RANK = {MeetingStatus.SCHEDULED: 0, MeetingStatus.HELD: 1, MeetingStatus.CANCELLED: 2}
_EVENT_STATE = {
    MeetingEventStatus.BOOKED: MeetingStatus.SCHEDULED,
    MeetingEventStatus.ENDED: MeetingStatus.HELD,
    MeetingEventStatus.CANCELLED: MeetingStatus.CANCELLED,
}


def _order(sequence: int | None, updated_at: datetime | None, status: MeetingStatus) -> tuple[int, datetime, int]:
    return (
        -1 if sequence is None else sequence,
        updated_at or datetime.min.replace(tzinfo=UTC),
        _STATE_RANK[status],
    )


def is_newer(event: MeetingEvent, meeting: Meeting) -> bool:
    """Whether ``event`` says something later than what ``meeting`` holds (a duplicate or older word is not)."""
    new = _order(event.sequence, event.updated_at, _EVENT_STATE[event.status])
    held = _order(meeting.sequence, meeting.vendor_updated_at, meeting.status)
    return new > held


def apply_event(
    meeting: Meeting | None,
    event: MeetingEvent,
    *,
    tenant_id: str,
    programme_id: str,
    pair_id: str,
    now: datetime,
) -> Meeting | None:
    """The meeting after ``event``, or None when the event changes nothing (a duplicate, an older word).

    A cancellation that arrives before its booking creates the meeting cancelled, so the
    booking that follows (older or equal in version) leaves it cancelled.
    """
    if meeting is not None and not is_newer(event, meeting):
        return None
    state = _EVENT_STATE[event.status]
    fields = {
        "starts_at": event.start,
        "ends_at": event.end,
        "status": state,
        "sequence": event.sequence,
        "vendor_updated_at": event.updated_at,
        "updated_at": now,
    }
    if meeting is None:
        return Meeting(
            meeting_id=meeting_id_for(tenant_id, programme_id, pair_id, event.source, event.external_id),
            tenant_id=tenant_id,
            programme_id=programme_id,
            pair_id=pair_id,
            source=event.source,
            external_id=event.external_id,
            **fields,
        )
    if state is MeetingStatus.CANCELLED:
        # A cancellation says nothing reliable about the times; keep those of the booking.
        fields = {k: v for k, v in fields.items() if k not in ("starts_at", "ends_at")}
    return meeting.model_copy(update=fields)


def mark_moved(
    meeting: Meeting | None,
    *,
    tenant_id: str,
    programme_id: str,
    pair_id: str,
    source: str,
    external_id: str,
    moved_to: str,
    at: MeetingEvent,
    now: datetime,
) -> Meeting | None:
    """The old meeting of a reschedule, pointing at the new one; created in advance if its word has not come yet."""
    if meeting is not None:
        if meeting.moved_to == moved_to:
            return None
        return meeting.model_copy(update={"moved_to": moved_to, "updated_at": now})
    return Meeting(
        meeting_id=meeting_id_for(tenant_id, programme_id, pair_id, source, external_id),
        tenant_id=tenant_id,
        programme_id=programme_id,
        pair_id=pair_id,
        source=source,
        external_id=external_id,
        starts_at=at.start,
        ends_at=at.end,
        status=MeetingStatus.CANCELLED,
        moved_to=moved_to,
        updated_at=now,
    )


def confirm(meeting: Meeting, *, met: bool, now: datetime) -> Meeting | None:
    """A person's "we met" / "we did not meet"; None when it is what the meeting already says."""
    if meeting.confirmed is met:
        return None
    return meeting.model_copy(update={"confirmed": met, "updated_at": now})


# --- Pair health --------------------------------------------------------------------------------------------


class HealthState(StrEnum):
    ON_TRACK = "on_track"
    DUE = "due"
    OVERDUE = "overdue"
    SILENT = "silent"


@dataclass(frozen=True)
class HealthPolicy:
    """When a pair without a held or booked meeting becomes due, overdue and silent."""

    cadence: timedelta
    silent_after: timedelta

    @property
    def overdue_after(self) -> timedelta:
        return 2 * self.cadence

    @classmethod
    def of(cls, *, cadence_days: int, escalate_after_days: int) -> HealthPolicy:
        cadence = timedelta(days=cadence_days)
        # Silence must come after overdue, whatever a programme configures.
        return cls(cadence=cadence, silent_after=max(timedelta(days=escalate_after_days), 3 * cadence))


@dataclass(frozen=True)
class PairHealth:
    """A pair's meeting figures and state at one moment, and when they next change without any event."""

    state: HealthState
    last_met_at: datetime | None
    next_booked_at: datetime | None
    meetings_held: int
    meetings_expected: int
    check_at: datetime | None


def pair_health(
    meetings: Iterable[Meeting], *, started_at: datetime, policy: HealthPolicy, now: datetime
) -> PairHealth:
    """Health of a pair that started at ``started_at``: held meetings, the next booking, and the state.

    The clock runs from the last held meeting (or the start): on track within one cadence
    or while a meeting is booked, due after one, overdue after two, silent after the
    programme's escalation time.
    """
    held = [m for m in meetings if m.held(now)]
    upcoming = [m for m in meetings if m.live() and m.confirmed is None and not m.held(now)]
    last_met = max((m.starts_at for m in held), default=None)
    next_booked = min((m.starts_at for m in upcoming), default=None)
    expected = max(0, (now - started_at) // policy.cadence) if now > started_at else 0

    since = max(last_met, started_at) if last_met else started_at
    thresholds = [
        (since + policy.cadence, HealthState.DUE),
        (since + policy.overdue_after, HealthState.OVERDUE),
        (since + policy.silent_after, HealthState.SILENT),
    ]
    state = HealthState.ON_TRACK
    for when, reached in thresholds:
        if now >= when:
            state = reached
    if next_booked is not None:
        state = HealthState.ON_TRACK

    # What changes the state without an event: the booked meeting ending, or the next threshold.
    changes = [when for when, _ in thresholds if when > now]
    changes.extend((m.ends_at or m.starts_at) for m in upcoming)
    return PairHealth(
        state=state,
        last_met_at=last_met,
        next_booked_at=next_booked,
        meetings_held=len(held),
        meetings_expected=int(expected),
        check_at=min(changes, default=None),
    )


# --- Reading vendors' words -----------------------------------------------------------------------------


class MeetingParseError(PayloadParseError):
    """A verified calendar or booking body that cannot be read into a ``MeetingEvent``."""

    what = "meeting event"


class NotAMeetingEvent(IrrelevantEvent):
    """A well-formed vendor event that says nothing about a meeting (a routing form, a ping)."""
