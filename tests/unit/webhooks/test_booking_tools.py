"""Calendly and Cal.com bodies read into MeetingEvent: the published payloads, other events, and bad bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.domain.meetings import MeetingEventStatus, MeetingParseError, NotAMeetingEvent
from chalicelib.webhooks.sources.calcom import parse_calcom
from chalicelib.webhooks.sources.calendly import parse_calendly
from tests.support.events import load_event, load_event_json


def test_calendlys_published_booking_reads_as_a_booked_meeting_of_host_and_invitee() -> None:
    # GIVEN / WHEN the published invitee.created is read
    event = parse_calendly(load_event("calendly_invitee.created.json"))

    # THEN it names the invitee as vendor id, the host as organiser and the invitee and guests as attendees
    assert event.status is MeetingEventStatus.BOOKED
    assert event.external_id.endswith("/invitees/AAAAAAAAAAAAAAAA")
    assert (event.organiser_email, event.attendee_emails) == (
        "user@example.com",
        ["test@example.com", "user@example.com"],
    )
    assert event.start == datetime(2019, 8, 24, 14, 15, 22, 123456, tzinfo=UTC)
    assert event.updated_at == datetime(2020, 11, 23, 17, 51, 18, 341657, tzinfo=UTC)


def test_calendlys_published_cancellation_is_newer_than_its_booking() -> None:
    # GIVEN / WHEN both published payloads are read
    booked = parse_calendly(load_event("calendly_invitee.created.json"))
    cancelled = parse_calendly(load_event("calendly_invitee.canceled.json"))

    # THEN they name the same booking, the cancellation later
    assert cancelled.status is MeetingEventStatus.CANCELLED
    assert cancelled.external_id == booked.external_id
    assert booked.updated_at is not None
    assert cancelled.updated_at is not None
    assert cancelled.updated_at > booked.updated_at


def test_calcoms_published_booking_reads_as_a_booked_meeting() -> None:
    # GIVEN / WHEN the published BOOKING_CREATED is read
    event = parse_calcom(load_event("calcom_BOOKING_CREATED.json"))

    # THEN the uid, times and people are those of the booking, and nothing else of it
    assert (event.external_id, event.status) == ("bFJeNb2uX8ANpT3JL5EfXw", MeetingEventStatus.BOOKED)
    assert (event.start, event.end) == (
        datetime(2023, 5, 25, 9, 30, tzinfo=UTC),
        datetime(2023, 5, 25, 10, 30, tzinfo=UTC),
    )
    assert (event.organiser_email, event.attendee_emails) == ("pro@example.com", ["john.doe@example.com"])
    assert "60min" not in event.model_dump_json()


def test_a_calcom_meeting_ended_with_the_booking_record_names_its_host_as_organiser() -> None:
    # GIVEN a MEETING_ENDED whose payload is the booking record (host under "user")
    body = {
        "triggerEvent": "MEETING_ENDED",
        "createdAt": "2023-05-25T10:30:05Z",
        "payload": {
            "uid": "bFJeNb2uX8ANpT3JL5EfXw",
            "startTime": "2023-05-25T09:30:00.000Z",
            "endTime": "2023-05-25T10:30:00.000Z",
            "user": {"email": "pro@example.com"},
            "attendees": [{"email": "john.doe@example.com"}],
        },
    }

    # WHEN it is read
    event = parse_calcom(json.dumps(body).encode())

    # THEN it is the same booking, ended
    assert (event.status, event.organiser_email) == (MeetingEventStatus.ENDED, "pro@example.com")


@pytest.mark.parametrize(
    ("parse", "body"),
    [
        (parse_calcom, {"triggerEvent": "PING", "payload": {}}),
        (parse_calcom, {"triggerEvent": "FORM_SUBMITTED", "payload": {"responses": {}}}),
        (parse_calendly, {"event": "routing_form_submission.created", "payload": {}}),
    ],
)
def test_events_about_no_booking_are_irrelevant(parse: object, body: object) -> None:
    # GIVEN / WHEN / THEN a well-formed event of another kind is not a meeting
    with pytest.raises(NotAMeetingEvent):
        parse(json.dumps(body).encode())  # type: ignore[operator]


def test_a_booking_without_uid_or_with_an_end_before_its_start_needs_a_person_and_quotes_no_value() -> None:
    # GIVEN a booking without uid and one whose end comes first
    created = load_event_json("calcom_BOOKING_CREATED.json")
    no_uid = json.loads(json.dumps(created))
    del no_uid["payload"]["uid"]
    backwards = json.loads(json.dumps(created))
    backwards["payload"]["endTime"] = "2023-05-25T08:00:00Z"

    # WHEN they are read
    with pytest.raises(MeetingParseError) as missing:
        parse_calcom(json.dumps(no_uid).encode())
    with pytest.raises(MeetingParseError) as reversed_times:
        parse_calcom(json.dumps(backwards).encode())

    # THEN each error names the problem, never an address
    assert "uid" in str(missing.value)
    assert "ends before it starts" in str(reversed_times.value)
    assert "example.com" not in str(missing.value) + str(reversed_times.value)


@pytest.mark.parametrize("body", [b"", b"\xff\xfe", b"[1, 2]", b'{"event": 3}', b"{" * 5000])
def test_bodies_that_are_no_calendly_json_are_parse_errors(body: bytes) -> None:
    # GIVEN / WHEN / THEN what is not a Calendly event is a parse error
    with pytest.raises(MeetingParseError):
        parse_calendly(body)
