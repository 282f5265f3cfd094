"""Cal.com webhooks: bookings created, rescheduled, cancelled and meetings ended, read into ``MeetingEvent``.

Cal.com signs the raw body: ``X-Cal-Signature-256: <hex HMAC-SHA256>``, with no timestamp;
the inbox's idempotency makes a replayed request harmless. A booking's ``uid`` is the
vendor id; a reschedule creates a new booking naming the old one (``rescheduleUid``).
Cal.com sends no version, so the envelope's ``createdAt`` orders words about one booking.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chalicelib.domain.meetings import MeetingEvent, MeetingEventStatus, NotAMeetingEvent
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import SourceSpec
from chalicelib.webhooks.signing import BodyHmac, Encoding
from chalicelib.webhooks.sources._meeting import Tolerant, load_body, meeting_event, read_model
from chalicelib.webhooks.sources._payload import aware

NAME = "calcom"
SIGNATURE_HEADER = "x-cal-signature-256"
_STATUS = {
    "BOOKING_CREATED": MeetingEventStatus.BOOKED,
    "BOOKING_RESCHEDULED": MeetingEventStatus.BOOKED,
    "BOOKING_CANCELLED": MeetingEventStatus.CANCELLED,
    "MEETING_ENDED": MeetingEventStatus.ENDED,
}


class CalcomPerson(Tolerant):
    email: str | None = None


class CalcomBooking(Tolerant):
    uid: str = Field(min_length=1)
    start_time: datetime = Field(alias="startTime")
    end_time: datetime = Field(alias="endTime")
    organizer: CalcomPerson | None = None
    # MEETING_ENDED carries the booking record, whose host is its ``user``.
    user: CalcomPerson | None = None
    attendees: list[CalcomPerson] = Field(default_factory=list)
    reschedule_uid: str | None = Field(default=None, alias="rescheduleUid")


class CalcomEnvelope(Tolerant):
    trigger_event: str = Field(alias="triggerEvent")
    created_at: datetime | None = Field(default=None, alias="createdAt")
    payload: dict[str, object] | None = None


SIGNING = BodyHmac(header=SIGNATURE_HEADER, encoding=Encoding.HEX)


def parse_calcom(body: bytes | None) -> MeetingEvent:
    """Read a Cal.com webhook body.

    Raises
    ------
    MeetingParseError
        Not a Cal.com event, or a booking without uid or times.
    NotAMeetingEvent
        Another trigger (``PING``, ``FORM_SUBMITTED``, ``BOOKING_REQUESTED`` awaiting confirmation).
    """
    envelope = read_model(CalcomEnvelope, load_body(body, what="Cal.com"), what="Cal.com")
    status = _STATUS.get(envelope.trigger_event)
    if status is None:
        raise NotAMeetingEvent(f"Cal.com trigger {envelope.trigger_event[:60]!r} is not about a booking")
    booking = read_model(CalcomBooking, envelope.payload, what="Cal.com payload")
    host = booking.organizer or booking.user
    return meeting_event(
        "Cal.com payload",
        source=NAME,
        external_id=booking.uid,
        status=status,
        start=aware(booking.start_time),
        end=aware(booking.end_time),
        organiser_email=host.email if host else None,
        attendee_emails=[a.email for a in booking.attendees if a.email],
        updated_at=aware(envelope.created_at) if envelope.created_at else None,
        rescheduled_from=booking.reschedule_uid,
    )


def _parse_meeting(delivery: Delivery) -> MeetingEvent:
    return parse_calcom(delivery.body)


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: SIGNING,
    parsers={Purpose.MEETINGS: _parse_meeting},
    secret_style=SecretStyle.TOKEN,
)
