"""Invitations mailed to a programme's invite address: the iCalendar part of a message, read into meetings.

People add the address (``meet+<endpoint id>@<mail domain>``) as a guest of their mentoring
meeting; their calendar mails an iCalendar ``METHOD:REQUEST`` (a booking or an update, ordered
by ``SEQUENCE``) or ``METHOD:CANCEL``. One ``VEVENT`` is one meeting, identified by its ``UID``;
an occurrence of a recurring meeting adds its ``RECURRENCE-ID`` (in UTC), and a series
(``RRULE``) is expanded into its occurrences within a window, so each occurrence counts once.

Only the sender's own events are read: the ``From`` address must be the organiser or a guest.
Nothing here keeps a title, a description or a location. Mail never arrives over HTTP, so
the webhook route refuses this source; the mail handler stores a delivery and processes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from chalicelib.domain.calendars import Invitation
from chalicelib.domain.meetings import MeetingEvent, MeetingEventStatus
from chalicelib.domain.payloads import IrrelevantEvent, PayloadParseError
from chalicelib.domain.webhook import Delivery, Purpose, SecretStyle
from chalicelib.errors import WebhookVerificationError
from chalicelib.services.inbox.ports import SourceSpec, WebhookRequest

NAME = "invite"
MAX_EVENTS = 50
MAX_OCCURRENCES = 60
# A series is read this far ahead of its first occurrence: a mentoring year.
SERIES_HORIZON = timedelta(days=400)
MAX_CALENDAR_BYTES = 512 * 1024


class InvitationError(PayloadParseError):
    what = "invitation"


class MailOnly:
    """Invitations come by mail through SES, never over HTTP: every request to the webhook route is refused."""

    def verify(self, request: WebhookRequest, secrets: Sequence[str]) -> None:
        raise WebhookVerificationError("invitations are received by mail, not over HTTP")


def _calendar_parts(message: EmailMessage) -> list[str]:
    parts = []
    for part in message.walk():
        if part.get_content_type() in ("text/calendar", "application/ics") and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and len(payload) <= MAX_CALENDAR_BYTES:
                parts.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
    return parts


def _address(value: Any) -> str | None:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text or None


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        # An all-day meeting: its day, from midnight UTC.
        return datetime.combine(value, time(), tzinfo=UTC)
    raise InvitationError("an event has a start that is no date or time")


def _utc_text(at: datetime) -> str:
    return at.strftime("%Y%m%dT%H%M%SZ")


def _local(value: Any) -> datetime:
    """A start as written (its own time zone kept), so a series keeps its wall-clock time across DST changes."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return _moment(value)


def _occurrence_starts(component: Any, start: datetime) -> list[datetime]:
    rule = component.get("RRULE")
    if rule is None:
        return [start]
    from dateutil.rrule import rrulestr

    local_start = _local(component.decoded("DTSTART"))
    try:
        rrule = rrulestr(rule.to_ical().decode(), dtstart=local_start)
    except (ValueError, TypeError) as exc:
        raise InvitationError("an event's recurrence rule cannot be read") from exc
    excluded = set()
    for exdate in component.get("EXDATE") if isinstance(component.get("EXDATE"), list) else [component.get("EXDATE")]:
        for item in getattr(exdate, "dts", []) or []:
            excluded.add(_moment(item.dt))
    found = []
    for local in rrule.between(local_start - timedelta(seconds=1), local_start + SERIES_HORIZON, inc=True):
        moment = _moment(local)
        if moment not in excluded:
            found.append(moment)
        if len(found) >= MAX_OCCURRENCES:
            break
    return found


def _events(component: Any, method: str) -> list[MeetingEvent]:
    uid = str(component.get("UID") or "").strip()
    if not uid or component.get("DTSTART") is None:
        raise InvitationError("an event has no UID or no start")
    start = _moment(component.decoded("DTSTART"))
    if component.get("DTEND") is not None:
        end = _moment(component.decoded("DTEND"))
    elif component.get("DURATION") is not None:
        end = start + component.decoded("DURATION")
    else:
        end = start
    cancelled = method == "CANCEL" or str(component.get("STATUS") or "").upper() == "CANCELLED"
    stamp = component.get("LAST-MODIFIED") or component.get("DTSTAMP")
    attendees = component.get("ATTENDEE") or []
    attendees = attendees if isinstance(attendees, list) else [attendees]
    common: dict[str, Any] = {
        "source": NAME,
        "status": MeetingEventStatus.CANCELLED if cancelled else MeetingEventStatus.BOOKED,
        "organiser_email": _address(component.get("ORGANIZER")),
        "attendee_emails": [a for a in (_address(item) for item in attendees) if a],
        "sequence": int(component.get("SEQUENCE") or 0),
        "updated_at": _moment(stamp.dt) if stamp is not None else None,
    }
    if component.get("RECURRENCE-ID") is not None:
        original = _moment(component.decoded("RECURRENCE-ID"))
        return [
            MeetingEvent(external_id=f"{uid}#{_utc_text(original)}"[:500], start=start, end=max(end, start), **common)
        ]
    starts = _occurrence_starts(component, start)
    if len(starts) == 1 and component.get("RRULE") is None:
        return [MeetingEvent(external_id=uid[:500], start=start, end=max(end, start), **common)]
    length = max(end - start, timedelta(0))
    return [
        MeetingEvent(external_id=f"{uid}#{_utc_text(at)}"[:500], start=at, end=at + length, **common) for at in starts
    ]


def read_invitation(raw: bytes | None) -> Invitation:
    """The meetings a mailed invitation describes, for the sender's own events only.

    Raises
    ------
    InvitationError
        The message or its calendar cannot be read.
    IrrelevantEvent
        No calendar part, another method (a reply, a counter-proposal), or none of the sender's events.
    """
    if not raw:
        raise InvitationError("the message is no longer kept")
    from icalendar import Calendar

    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    senders = {address.strip().lower() for _, address in getaddresses([str(message.get("From", ""))]) if address}
    parts = _calendar_parts(message)
    if not parts:
        raise IrrelevantEvent("the message holds no calendar")
    events: list[MeetingEvent] = []
    for text in parts:
        try:
            calendar = Calendar.from_ical(text)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise InvitationError("its calendar is not valid iCalendar") from exc
        method = str(calendar.get("METHOD") or "REQUEST").upper()
        if method not in ("REQUEST", "CANCEL", "PUBLISH"):
            continue
        components = list(calendar.walk("VEVENT"))[:MAX_EVENTS]
        for component in components:
            try:
                read = _events(component, method)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise InvitationError("an event in its calendar cannot be read") from exc
            events.extend(event for event in read if senders & event.addresses)
    # Calendars attach the same invitation twice (inline and as invite.ics): one event per id.
    unique = list({event.external_id: event for event in events}.values())
    if not unique:
        raise IrrelevantEvent("no booking or cancellation of the sender's own meetings")
    return Invitation(events=unique)


def _parse(delivery: Delivery) -> Invitation:
    return read_invitation(delivery.body)


SPEC = SourceSpec(
    name=NAME,
    verifier=lambda _clock: MailOnly(),
    parsers={Purpose.MEETINGS: _parse},
    content_types=("message/rfc822",),
    secret_style=SecretStyle.TOKEN,
)
