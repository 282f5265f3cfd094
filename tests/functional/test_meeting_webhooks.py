"""Calendly and Cal.com through the real route: published payloads create, move and cancel a pair's meeting.

Runs against the in-memory storage and DynamoDB on moto (the ``storage`` fixture) with the
real ``POST /hooks/{source}/{endpoint_id}``; payloads are the vendors' published examples.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.meetings import MeetingStatus
from chalicelib.domain.pair import Pair
from chalicelib.domain.webhook import DeliveryState, Purpose
from chalicelib.registry import source_registry
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import calcom, calendly
from tests.support.events import load_event_json as event_json
from tests.support.pairs import stored_pair
from tests.support.world import START, TenantHandle, World, world_with


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with world_with(storage, sources=source_registry()) as built:
        yield built


def _pair(coordinator: TenantHandle, programme_id: str, mentor: str, mentee: str) -> Pair:
    return stored_pair(
        coordinator.world.storage, coordinator.tenant_id, programme_id, mentor, mentee, approved_at=START
    )


def _post_calendly(world: World, endpoint_id: str, secret: str, payload: Any, *, sent_at: datetime) -> Any:
    body = json.dumps(payload).encode()
    timestamp = str(int(sent_at.timestamp()))
    request = WebhookRequest(method="POST", path="", body=body)
    signature = calendly.signing(world.clock).sign(secret, request, timestamp)
    return world.client.http.post(
        f"/hooks/calendly/{endpoint_id}",
        headers={"Content-Type": "application/json", "Calendly-Webhook-Signature": signature},
        body=body,
    )


def _post_calcom(world: World, endpoint_id: str, secret: str, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    return world.client.http.post(
        f"/hooks/calcom/{endpoint_id}",
        headers={"Content-Type": "application/json", "X-Cal-Signature-256": calcom.SIGNING.sign(secret, body)},
        body=body,
    )


def test_calendlys_published_booking_and_cancellation_create_then_cancel_the_pairs_meeting(world: World) -> None:
    # GIVEN a pair of the published example's host and invitee, and a Calendly meetings endpoint
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _pair(coordinator, programme_id, "user@example.com", "test@example.com")
    issued = coordinator.endpoint(programme_id, "calendly", Purpose.MEETINGS)
    endpoint_id = issued.endpoint.endpoint_id

    # WHEN Calendly posts the published invitee.created
    created = _post_calendly(
        world, endpoint_id, issued.secret, event_json("calendly_invitee.created.json"), sent_at=world.clock.now()
    )

    # THEN the pair has one scheduled meeting at the event's time, keyed by the invitee
    assert created.json_body["state"] == "done", created.json_body
    (meeting,) = world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id)
    assert (meeting.source, meeting.status) == ("calendly", MeetingStatus.SCHEDULED)
    assert meeting.external_id == "https://api.calendly.com/scheduled_events/AAAAAAAAAAAAAAAA/invitees/AAAAAAAAAAAAAAAA"
    assert meeting.starts_at == datetime(2019, 8, 24, 14, 15, 22, 123456, tzinfo=UTC)

    # WHEN it posts the published invitee.canceled
    cancelled = _post_calendly(
        world, endpoint_id, issued.secret, event_json("calendly_invitee.canceled.json"), sent_at=world.clock.now()
    )

    # THEN the same meeting is cancelled
    assert cancelled.json_body["state"] == "done", cancelled.json_body
    (meeting,) = world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id)
    assert meeting.status is MeetingStatus.CANCELLED


def test_a_calendly_reschedule_moves_the_meeting_to_the_new_invitees_time(world: World) -> None:
    # GIVEN a booked Calendly meeting of a pair
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _pair(coordinator, programme_id, "user@example.com", "test@example.com")
    issued = coordinator.endpoint(programme_id, "calendly", Purpose.MEETINGS)
    endpoint_id = issued.endpoint.endpoint_id
    original = event_json("calendly_invitee.created.json")
    _post_calendly(world, endpoint_id, issued.secret, original, sent_at=world.clock.now())

    # WHEN the invitee reschedules: the new invitee (naming the old one) arrives before the old one's cancellation
    old_uri = original["payload"]["uri"]
    new = copy.deepcopy(original)
    new["payload"]["uri"] = old_uri.replace("AAAAAAAAAAAAAAAA/invitees/AAAAAAAAAAAAAAAA", "BBBB/invitees/CCCC")
    new["payload"]["old_invitee"] = old_uri
    new["payload"]["scheduled_event"]["start_time"] = "2019-08-26T10:00:00Z"
    new["payload"]["scheduled_event"]["end_time"] = "2019-08-26T10:30:00Z"
    cancel = event_json("calendly_invitee.canceled.json")
    cancel["payload"]["rescheduled"] = True
    cancel["payload"]["new_invitee"] = new["payload"]["uri"]
    for payload in (new, cancel):
        answer = _post_calendly(world, endpoint_id, issued.secret, payload, sent_at=world.clock.now())
        assert answer.json_body["state"] == "done", answer.json_body

    # THEN the pair's log holds one live meeting, at the new time; the old one points to it
    meetings = world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id)
    live = [m for m in meetings if m.live()]
    assert [(m.external_id, m.starts_at) for m in live] == [
        (new["payload"]["uri"], datetime(2019, 8, 26, 10, 0, tzinfo=UTC))
    ]
    (moved,) = [m for m in meetings if not m.live()]
    assert (moved.external_id, moved.moved_to) == (old_uri, new["payload"]["uri"])


def test_a_calendly_signature_older_than_three_minutes_is_refused_and_nothing_is_stored(world: World) -> None:
    # GIVEN a Calendly endpoint of a pair's programme
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _pair(coordinator, programme_id, "user@example.com", "test@example.com")
    issued = coordinator.endpoint(programme_id, "calendly", Purpose.MEETINGS)

    # WHEN a correctly signed booking arrives signed four minutes ago
    answer = _post_calendly(
        world,
        issued.endpoint.endpoint_id,
        issued.secret,
        event_json("calendly_invitee.created.json"),
        sent_at=world.clock.now() - timedelta(minutes=4),
    )

    # THEN it is refused before anything is stored
    assert answer.status_code == 401
    assert world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id) == []
    assert world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id) == []


def test_calcoms_published_booking_creates_the_meeting_and_its_end_makes_it_held(world: World) -> None:
    # GIVEN a pair of the published example's organiser and attendee, and a Cal.com meetings endpoint
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _pair(coordinator, programme_id, "pro@example.com", "john.doe@example.com")
    issued = coordinator.endpoint(programme_id, "calcom", Purpose.MEETINGS)
    endpoint_id = issued.endpoint.endpoint_id
    created = event_json("calcom_BOOKING_CREATED.json")

    # WHEN Cal.com posts the published BOOKING_CREATED, then MEETING_ENDED for the same booking
    first = _post_calcom(world, endpoint_id, issued.secret, created)
    ended = copy.deepcopy(created)
    ended["triggerEvent"] = "MEETING_ENDED"
    ended["createdAt"] = "2023-05-25T10:30:05.000Z"
    second = _post_calcom(world, endpoint_id, issued.secret, ended)

    # THEN the pair has one meeting, held, and its health counts it
    assert [first.json_body["state"], second.json_body["state"]] == ["done", "done"]
    (meeting,) = world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id)
    assert (meeting.external_id, meeting.status) == ("bFJeNb2uX8ANpT3JL5EfXw", MeetingStatus.HELD)
    stored = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair.pair_id)
    assert stored is not None
    assert (stored.meetings_held, stored.last_met_at) == (1, datetime(2023, 5, 25, 9, 30, tzinfo=UTC))


def test_calcom_reschedules_and_cancellations_move_and_cancel_the_meeting(world: World) -> None:
    # GIVEN a booked Cal.com meeting of a pair
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _pair(coordinator, programme_id, "pro@example.com", "john.doe@example.com")
    issued = coordinator.endpoint(programme_id, "calcom", Purpose.MEETINGS)
    endpoint_id = issued.endpoint.endpoint_id
    created = event_json("calcom_BOOKING_CREATED.json")
    _post_calcom(world, endpoint_id, issued.secret, created)

    # WHEN it is rescheduled into a new booking, and that one is cancelled
    moved = copy.deepcopy(created)
    moved["triggerEvent"] = "BOOKING_RESCHEDULED"
    moved["createdAt"] = "2023-05-24T11:00:00.000Z"
    moved["payload"].update(
        uid="newUid123",
        rescheduleUid=created["payload"]["uid"],
        startTime="2023-05-26T09:30:00Z",
        endTime="2023-05-26T10:30:00Z",
    )
    cancelled = copy.deepcopy(moved)
    cancelled["triggerEvent"] = "BOOKING_CANCELLED"
    cancelled["createdAt"] = "2023-05-24T12:00:00.000Z"
    for payload in (moved, cancelled):
        assert _post_calcom(world, endpoint_id, issued.secret, payload).json_body["state"] == "done"

    # THEN nothing live is left: the first moved into the second, the second cancelled
    meetings = {
        m.external_id: m for m in world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id)
    }
    assert meetings["bFJeNb2uX8ANpT3JL5EfXw"].moved_to == "newUid123"
    assert meetings["newUid123"].status is MeetingStatus.CANCELLED
    assert [m for m in meetings.values() if m.live()] == []


def test_a_strangers_booking_is_ignored_and_stores_nothing_about_it(world: World) -> None:
    # GIVEN a Cal.com endpoint of a programme whose pair is not on the published example
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _pair(coordinator, programme_id, "milica@kcb.rs", "ana@kcb.rs")
    issued = coordinator.endpoint(programme_id, "calcom", Purpose.MEETINGS)

    # WHEN Cal.com posts the published booking of strangers
    answer = _post_calcom(world, issued.endpoint.endpoint_id, issued.secret, event_json("calcom_BOOKING_CREATED.json"))

    # THEN the delivery is ignored and no meeting exists for anyone
    assert answer.json_body["state"] == "ignored"
    assert world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id) == []
    assert world.storage.meetings.by_external_id(coordinator.tenant_id, "calcom", "bFJeNb2uX8ANpT3JL5EfXw") is None
    stored = world.storage.deliveries.get(issued.endpoint.endpoint_id, answer.json_body["delivery_id"])
    assert stored is not None
    assert stored.state is DeliveryState.IGNORED
    assert stored.result is None


def _calcom_notifications(uid: str, people: tuple[str, ...]) -> list[dict[str, Any]]:
    """A booking, its reschedule into a new booking, and that one's end, as Cal.com posts them."""
    created = event_json("calcom_BOOKING_CREATED.json")
    created["payload"]["uid"] = uid
    created["payload"]["organizer"]["email"] = people[0]
    created["payload"]["attendees"] = [{"email": email, "name": "Guest"} for email in people[1:]]
    moved = copy.deepcopy(created)
    moved["triggerEvent"] = "BOOKING_RESCHEDULED"
    moved["createdAt"] = "2023-05-24T10:00:00.000Z"
    moved["payload"].update(uid=f"{uid}-2", rescheduleUid=uid, startTime="2023-05-26T09:30:00Z")
    moved["payload"]["endTime"] = "2023-05-26T10:30:00Z"
    ended = copy.deepcopy(moved)
    ended["triggerEvent"] = "MEETING_ENDED"
    ended["createdAt"] = "2023-05-26T10:30:00.000Z"
    return [created, moved, ended]


def test_shuffled_and_repeated_deliveries_through_the_route_end_in_the_clean_log(world: World) -> None:
    # GIVEN two programmes, each with the same pair and a Cal.com endpoint
    coordinator = world.tenant()
    people = ("pro@example.com", "john.doe@example.com")
    notifications = _calcom_notifications("bkA", people) + _calcom_notifications("bkB", people)
    logs = []
    for order in (
        notifications,
        list(reversed(notifications)) + notifications[::2],
    ):
        programme_id = coordinator.programme()
        pair = _pair(coordinator, programme_id, *people)
        issued = coordinator.endpoint(programme_id, "calcom", Purpose.MEETINGS)

        # WHEN one gets the notifications once, in order, and the other reversed with repeats
        for payload in order:
            answer = _post_calcom(world, issued.endpoint.endpoint_id, issued.secret, payload)
            assert answer.status_code == 200, answer.json_body
        meetings = world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id)
        stored = world.storage.pairs.get(coordinator.tenant_id, programme_id, pair.pair_id)
        assert stored is not None
        logs.append(
            (
                sorted((m.external_id, m.status, m.moved_to, m.starts_at if m.live() else None) for m in meetings),
                stored.meetings_held,
            )
        )

    # THEN both end with the same log: two bookings moved, two held
    assert logs[0] == logs[1]
    assert logs[0][1] == 2


def test_a_booking_with_hundreds_of_attendees_counts_for_the_pair_and_keeps_no_guest(world: World) -> None:
    # GIVEN a pair among 400 guests of a town-hall booking
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    pair = _pair(coordinator, programme_id, "pro@example.com", "john.doe@example.com")
    issued = coordinator.endpoint(programme_id, "calcom", Purpose.MEETINGS)
    crowd = [f"guest{n}@example.net" for n in range(400)]
    (created, *_rest) = _calcom_notifications("townhall", ("pro@example.com", *crowd, "john.doe@example.com"))

    # WHEN Cal.com posts it
    answer = _post_calcom(world, issued.endpoint.endpoint_id, issued.secret, created)

    # THEN the pair has the meeting and nothing stored names a guest
    assert answer.json_body["state"] == "done"
    (meeting,) = world.storage.meetings.for_pair(coordinator.tenant_id, programme_id, pair.pair_id)
    assert "guest" not in meeting.model_dump_json()
