"""Calendly webhooks: ``invitee.created`` and ``invitee.canceled`` read into ``MeetingEvent``.

Calendly signs ``t.<raw body>``: ``Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256>``;
a signature older than three minutes is refused. One invitee of a scheduled event is one
booking, so the invitee's URI is the vendor id. A reschedule arrives as a cancellation of
the old invitee (``rescheduled: true``) and a creation naming it in ``old_invitee``; the
organiser is the event's host (``event_memberships``), the attendees the invitee and guests.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from chalicelib.clock import Clock
from chalicelib.domain.meetings import MeetingEvent, MeetingEventStatus, NotAMeetingEvent
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.services.inbox.ports import SourceSpec
from chalicelib.webhooks.signing import TimestampedHmac, TimestampLayout
from chalicelib.webhooks.sources._meeting import Tolerant, load_body, meeting_event, read_model
from chalicelib.webhooks.sources._payload import aware

NAME = "calendly"
SIGNATURE_HEADER = "calendly-webhook-signature"
TOLERANCE = timedelta(minutes=3)
_STATUS = {"invitee.created": MeetingEventStatus.BOOKED, "invitee.canceled": MeetingEventStatus.CANCELLED}


class CalendlyMembership(Tolerant):
    user_email: str | None = None


class CalendlyGuest(Tolerant):
    email: str | None = None


class CalendlyScheduledEvent(Tolerant):
    uri: str | None = None
    start_time: datetime
    end_time: datetime
    event_memberships: list[CalendlyMembership] = Field(default_factory=list)
    event_guests: list[CalendlyGuest] = Field(default_factory=list)


class CalendlyInvitee(Tolerant):
    uri: str = Field(min_length=1)
    email: str | None = None
    updated_at: datetime | None = None
    old_invitee: str | None = None
    scheduled_event: CalendlyScheduledEvent


class CalendlyEnvelope(Tolerant):
    event: str
    created_at: datetime | None = None
    payload: dict[str, object] | None = None


def signing(clock: Clock) -> TimestampedHmac:
    return TimestampedHmac(
        clock, layout=TimestampLayout.CALENDLY, signature_header=SIGNATURE_HEADER, tolerance=TOLERANCE
    )


def parse_calendly(body: bytes | None) -> MeetingEvent:
    """Read a Calendly webhook body.

    Raises
    ------
    MeetingParseError
        Not a Calendly event, or an invitee without the fields a meeting needs.
    NotAMeetingEvent
        Another event type (``routing_form_submission.created``).
    """
    envelope = read_model(CalendlyEnvelope, load_body(body, what="Calendly"), what="Calendly")
    status = _STATUS.get(envelope.event)
    if status is None:
        raise NotAMeetingEvent(f"Calendly event {envelope.event[:60]!r} is not about a booking")
    invitee = read_model(CalendlyInvitee, envelope.payload, what="Calendly payload")
    scheduled = invitee.scheduled_event
    hosts = [m.user_email for m in scheduled.event_memberships if m.user_email]
    guests = [g.email for g in scheduled.event_guests if g.email]
    updated = invitee.updated_at or envelope.created_at
    return meeting_event(
        "Calendly payload",
        source=NAME,
        external_id=invitee.uri,
        status=status,
        start=aware(scheduled.start_time),
        end=aware(scheduled.end_time),
        organiser_email=hosts[0] if hosts else None,
        attendee_emails=[*([invitee.email] if invitee.email else []), *hosts[1:], *guests],
        updated_at=aware(updated) if updated else None,
        rescheduled_from=invitee.old_invitee,
    )


def _parse_meeting(delivery: Delivery) -> MeetingEvent:
    return parse_calendly(delivery.body)


SPEC = SourceSpec(
    name=NAME,
    verifier=signing,
    parsers={Purpose.MEETINGS: _parse_meeting},
    secret_style=SecretStyle.TOKEN,
)
