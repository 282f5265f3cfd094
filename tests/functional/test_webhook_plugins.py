"""Webhook sources as plug-ins: a new vendor through the real route, purposes, and only real sources get endpoints.

Runs against the in-memory storage and DynamoDB on moto (the ``storage`` fixture) with the
real ``POST /hooks/{source}/{endpoint_id}`` and admin routes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalicelib.domain.forms.mapping import FieldMapping
from chalicelib.domain.webhook import DeliveryState, Purpose
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import typeform as typeform_vendor
from tests.support import throwaway_source
from tests.support.events import load_event
from tests.support.throwaway_source import BookedMeeting, RecordedBookings
from tests.support.world import V1, World, world_with

BOOKING = json.dumps({"event": "booking.created", "booking": {"id": "bk_81", "pair": "pair_7"}}).encode()


@pytest.fixture
def bookings() -> RecordedBookings:
    return RecordedBookings()


@pytest.fixture
def world(storage: Storage, bookings: RecordedBookings) -> Iterator[World]:
    with world_with(storage, sources=throwaway_source.registered(bookings)) as built:
        yield built


def test_a_plugged_in_source_takes_a_signed_delivery_to_its_purposes_handler(
    world: World, bookings: RecordedBookings
) -> None:
    # GIVEN a meetings endpoint of the throwaway vendor, created through the admin API
    coordinator = world.tenant()
    created = coordinator.post(
        f"{V1}/endpoints",
        {"programme_id": coordinator.programme(), "source": "throwaway", "purpose": "meetings"},
    )
    assert created.status_code == 201, created.json_body
    endpoint_id = created.json_body["endpoint"]["endpoint_id"]
    assert created.json_body["endpoint"]["purpose"] == "meetings"

    # WHEN the vendor posts a booking signed with the endpoint's secret
    answer = world.client.http.post(
        f"/hooks/throwaway/{endpoint_id}",
        headers={
            "Content-Type": "application/json",
            "X-Throwaway-Delivery": "dlv_1",
            "X-Throwaway-Signature": throwaway_source.SIGNING.sign(created.json_body["secret"], BOOKING),
        },
        body=BOOKING,
    )

    # THEN the delivery is stored as done and the meetings handler was handed the parsed booking
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body == {"delivery_id": "dlv_1", "state": "done", "duplicate": False}
    stored = world.storage.deliveries.get(endpoint_id, "dlv_1")
    assert stored is not None
    assert (stored.source, stored.state, stored.result) == ("throwaway", DeliveryState.DONE, {"booking_id": "bk_81"})
    assert bookings.booked == [(endpoint_id, BookedMeeting(booking_id="bk_81", pair_ref="pair_7"))]


def test_a_plugged_in_sources_url_check_is_answered_as_plain_text_and_nothing_is_stored(
    world: World, bookings: RecordedBookings
) -> None:
    # GIVEN a throwaway endpoint
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "throwaway", Purpose.MEETINGS)

    # WHEN the vendor checks the URL with a challenge, before sending anything
    answer = world.client.http.post(
        f"/hooks/throwaway/{issued.endpoint.endpoint_id}?challenge=Validation%3A%20Testing", headers={}, body=b""
    )

    # THEN the challenge comes back as text/plain, and no delivery exists
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/plain"
    assert answer.body == b"Validation: Testing"
    assert world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id, state=None, limit=10) == []
    assert bookings.booked == []


def test_an_endpoint_for_a_source_nobody_registered_answers_400_naming_the_sources(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    # WHEN
    answer = coordinator.post(f"{V1}/endpoints", {"programme_id": coordinator.programme(), "source": "zoomcal"})
    # THEN
    assert answer.status_code == 400
    message = answer.json_body["message"]
    assert all(name in message for name in ("typeform", "tally", "jotform", "google-forms", "standard", "throwaway"))
    assert world.storage.endpoints.list(coordinator.tenant_id) == []


def test_an_endpoint_for_a_purpose_nothing_handles_answers_400_naming_the_purposes_there_are(world: World) -> None:
    # GIVEN
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    # WHEN a Typeform survey endpoint and a throwaway signup endpoint are asked for
    survey = coordinator.post(
        f"{V1}/endpoints", {"programme_id": programme_id, "source": "typeform", "purpose": "survey"}
    )
    signup = coordinator.post(f"{V1}/endpoints", {"programme_id": programme_id, "source": "throwaway"})
    # THEN both are refused, each naming what its source can be for
    assert (survey.status_code, survey.json_body["message"]) == (400, "typeform endpoints can be for: signup")
    assert (signup.status_code, signup.json_body["message"]) == (400, "throwaway endpoints can be for: meetings")


def test_a_survey_delivery_to_a_typeform_endpoint_onboards_nobody(world: World) -> None:
    # GIVEN a Typeform endpoint stored with purpose survey, holding a signup field mapping
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    issued = coordinator.endpoint(programme_id, "typeform")
    stored = world.storage.endpoints.get(issued.endpoint.endpoint_id)
    assert stored is not None
    mapping = FieldMapping.model_validate(
        {
            "role": {"constant": "mentee"},
            "email": {"ref": "readable_ref_email"},
            "name": {"ref": "readable_ref_short_text"},
            "consent": {"ref": "readable_ref_legal"},
        }
    )
    world.storage.endpoints.save(stored.model_copy(update={"purpose": Purpose.SURVEY, "field_mapping": mapping}))
    body = load_event("typeform_form_response.json")

    # WHEN Typeform delivers Laura's response to it
    answer = world.client.http.post(
        f"/hooks/typeform/{issued.endpoint.endpoint_id}",
        headers={
            "Content-Type": "application/json",
            "Typeform-Signature": typeform_vendor.SIGNING.sign(issued.secret, body),
        },
        body=body,
    )

    # THEN it is kept for attention and nobody is onboarded
    assert answer.status_code == 202
    [kept] = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id, state=None, limit=10)
    assert (kept.state, kept.last_error) == (
        DeliveryState.NEEDS_ATTENTION,
        "nothing handles survey deliveries from typeform",
    )
    assert world.storage.participants.list(coordinator.tenant_id, programme_id).items == []


def test_the_openapi_document_lists_the_registered_sources_and_the_purposes(world: World) -> None:
    document = world.client.http.get(f"{V1}/openapi.json").json_body
    create = document["components"]["schemas"]["EndpointCreate"]["properties"]
    assert create["source"]["enum"] == [
        "bamboohr",
        "calcom",
        "calendly",
        "google-calendar",
        "google-forms",
        "hibob",
        "hubspot",
        "invite",
        "jotform",
        "merge",
        "msgraph",
        "salesforce",
        "standard",
        "tally",
        "throwaway",
        "typeform",
    ]
    purpose = document["components"]["schemas"]["Purpose"]
    assert purpose["enum"] == ["signup", "survey", "meetings", "people"]
