"""Reading invitations mailed to the invite address, as Google Calendar, Outlook and Apple Calendar send them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.meetings import MeetingEventStatus
from chalicelib.domain.payloads import IrrelevantEvent
from chalicelib.webhooks.sources.invite import InvitationError, read_invitation
from tests.support.events import load_event

MENTOR = "milica.djordjevic@example.org"
MENTEE = "soren.aero@example.dk"
OUTLOOK_UID = (
    "040000008200E00074C5B7101A82E00800000000B0E2F5B3C41ADC01000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90"
)


def mail(name: str) -> bytes:
    return load_event(name)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_google_invitation_is_one_meeting_in_utc_though_attached_twice() -> None:
    # WHEN Google's invitation (inline and as invite.ics) is read
    [event] = read_invitation(mail("invite_google_request.eml")).events

    # THEN it is one booking, by UID, in UTC, with the people on it and nothing else
    assert (event.external_id, event.status, event.sequence) == (
        "7kukuqrfedlm2f9t2fnm4n6lrs@google.com",
        MeetingEventStatus.BOOKED,
        0,
    )
    assert (event.start, event.end) == (utc(2026, 9, 3, 8), utc(2026, 9, 3, 9))
    assert {MENTOR, MENTEE} <= event.addresses
    assert "Mentorski" not in event.model_dump_json()


def test_a_google_update_carries_the_next_sequence_and_the_new_time() -> None:
    [event] = read_invitation(mail("invite_google_update.eml")).events
    assert (event.sequence, event.start) == (1, utc(2026, 9, 4, 13))


def test_an_outlook_series_is_read_per_occurrence_in_its_windows_time_zone_across_the_dst_change() -> None:
    # WHEN Outlook's fortnightly series (six, one excluded) is read
    events = read_invitation(mail("invite_outlook_series.eml")).events

    # THEN each occurrence is its own meeting at 14:00 Central European time, summer and winter
    assert [e.start for e in events] == [
        utc(2026, 9, 10, 12),
        utc(2026, 9, 24, 12),
        utc(2026, 10, 22, 12),
        utc(2026, 11, 5, 13),
        utc(2026, 11, 19, 13),
    ]
    assert events[1].external_id == f"{OUTLOOK_UID}#20260924T120000Z"


def test_an_outlook_exception_and_an_occurrence_cancellation_name_the_occurrence_they_change() -> None:
    [moved] = read_invitation(mail("invite_outlook_exception.eml")).events
    [cancelled] = read_invitation(mail("invite_outlook_cancel_occurrence.eml")).events
    assert (moved.external_id, moved.start, moved.sequence) == (
        f"{OUTLOOK_UID}#20260924T120000Z",
        utc(2026, 9, 25, 7),
        1,
    )
    assert (cancelled.external_id, cancelled.status) == (
        f"{OUTLOOK_UID}#20261022T120000Z",
        MeetingEventStatus.CANCELLED,
    )


def test_an_apple_invitation_from_auckland_and_its_cancellation() -> None:
    [booked] = read_invitation(mail("invite_apple_request.eml")).events
    [cancelled] = read_invitation(mail("invite_apple_cancel.eml")).events
    assert (booked.start, booked.end) == (utc(2026, 10, 5, 18, 30), utc(2026, 10, 5, 19, 30))
    assert (cancelled.external_id, cancelled.status, cancelled.sequence) == (
        booked.external_id,
        MeetingEventStatus.CANCELLED,
        1,
    )


def test_an_all_day_invitation_covers_its_day() -> None:
    [event] = read_invitation(mail("invite_google_all_day.eml")).events
    assert (event.start, event.end) == (utc(2026, 10, 15), utc(2026, 10, 16))


def test_an_invitation_forwarded_by_a_stranger_is_not_read() -> None:
    # GIVEN Google's invitation sent on by someone who is not on it
    forwarded = mail("invite_google_request.eml").replace(
        b"From: Milica \xc4\x90or\xc4\x91evi\xc4\x87 <milica.djordjevic@example.org>",
        b"From: Mallory <mallory@example.net>",
    )
    assert forwarded != mail("invite_google_request.eml")

    # WHEN it is read, THEN there is nothing to act on
    with pytest.raises(IrrelevantEvent):
        read_invitation(forwarded)


def calendar_mail(calendar: str, *, sender: str = MENTOR, method: str = "REQUEST") -> bytes:
    headers = f"From: {sender}\r\nMIME-Version: 1.0\r\nContent-Type: text/calendar; method={method}\r\n\r\n"
    return (headers + calendar).encode()


def test_a_malformed_calendar_is_reported_without_quoting_it() -> None:
    broken = calendar_mail(
        "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026-13-45 secret\r\n"
        f"ORGANIZER:mailto:{MENTOR}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(InvitationError) as raised:
        read_invitation(broken)
    assert "secret" not in str(raised.value)


def test_a_huge_calendar_part_is_not_read() -> None:
    # GIVEN a message whose calendar part is 2 MB of events
    event = f"BEGIN:VEVENT\r\nUID:{{n}}\r\nDTSTART:20260903T080000Z\r\nORGANIZER:mailto:{MENTOR}\r\nEND:VEVENT\r\n"
    events = "".join(event.format(n=n) for n in range(20000))
    message = calendar_mail(f"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n{events}END:VCALENDAR\r\n")
    assert len(message) > 2_000_000

    # WHEN it is read, THEN nothing is parsed
    with pytest.raises(IrrelevantEvent):
        read_invitation(message)


def test_a_reply_is_not_a_booking() -> None:
    reply = calendar_mail("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n", sender=MENTEE, method="REPLY")
    with pytest.raises(IrrelevantEvent):
        read_invitation(reply)
