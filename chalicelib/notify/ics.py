"""iCalendar (RFC 5545) invitations: one event as a ``.ics`` attachment, its times in the reader's time zone.

The event's start and end are written with the reader's ``TZID`` and the matching
``VTIMEZONE`` (built from the zone database by ``icalendar``), so a calendar shows the
local wall time even across a daylight-saving change. The ``UID`` is stable per event
and reader: a second invitation for the same event updates the entry instead of adding
one. ``icalendar`` is imported on first use only.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.domain.message import Attachment

CALENDAR_TYPE = "text/calendar; method=REQUEST"
PRODUCT_ID = "-//mentorflow//programme events//EN"


def reader_zone(*candidates: str | None) -> ZoneInfo:
    """The first known time zone of ``candidates``; UTC when none is known."""
    for name in candidates:
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def invitation_ics(
    *,
    uid: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    zone: ZoneInfo,
    stamp: datetime,
    location: str | None = None,
    url: str | None = None,
    description: str | None = None,
    sequence: int = 0,
    cancelled: bool = False,
) -> Attachment:
    """A one-event calendar as an attachment named ``invitation.ics``."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("summary", title)
    event.add("dtstart", starts_at.astimezone(zone))
    event.add("dtend", ends_at.astimezone(zone))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    if description:
        event.add("description", description)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    content_type = "text/calendar; method=CANCEL" if cancelled else CALENDAR_TYPE
    return Attachment(filename="invitation.ics", content_type=content_type, text=calendar.to_ical().decode("utf-8"))
