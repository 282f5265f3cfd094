"""What one signup costs in DynamoDB requests, observed on the wire (botocore's events on moto's client)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from bench.intake_bench import MAPPING, signup_body
from chalicelib.clock import FixedClock
from chalicelib.domain.forms.mapping import FieldMapping
from chalicelib.domain.participant import Consent, ParticipantStatus, participant_id_for
from chalicelib.domain.places import PlaceSlot
from chalicelib.notify.outbox import Notifier
from chalicelib.services.enrolment import onboard
from chalicelib.storage.endpoints import CachedEndpoints
from chalicelib.storage.repositories import Storage, dynamo_storage
from tests.integration.tables import dynamodb_requests, moto_table
from tests.support.builders import at, participant, profile, programme
from tests.support.world import signed_standard, world_with

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

TENANT, PROGRAMME = "ten_a", "prg_1"


@pytest.fixture
def table() -> Iterator[Table]:
    with moto_table() as table:
        yield table


def _accepted_mentees(storage: Storage, numbers: range) -> None:
    """Mentees who came in through a signup: accepted, each holding the place slot of their number."""
    for number in numbers:
        email = f"mentee{number}@example.org"
        pid = participant_id_for(TENANT, PROGRAMME, email)
        storage.participants.save(participant(TENANT, PROGRAMME, pid, email=email, status=ParticipantStatus.ACCEPTED))
        storage.places.take(
            PlaceSlot(tenant_id=TENANT, programme_id=PROGRAMME, index=number, holder_id=pid, claimed_at=at(0)),
            from_holder=None,
        )


def _sign_up(storage: Storage, email: str) -> ParticipantStatus:
    clock = FixedClock(at(10))
    enrolled = onboard(
        storage=storage,
        notifier=Notifier(storage.messages, clock),
        clock=clock,
        tenant_id=TENANT,
        programme_id=PROGRAMME,
        profile=profile(email, consent=Consent(given=True, at=at(5)), language="en"),
        submitted_at=at(5),
    )
    assert enrolled.participant is not None
    return enrolled.participant.status


def test_a_signup_costs_as_many_requests_among_500_accepted_mentees_as_among_10(table: Table) -> None:
    # GIVEN a programme of 1,000 places with 10 accepted mentees, one signup already past
    storage = dynamo_storage(table)
    storage.programmes.save(programme(TENANT, PROGRAMME, max_mentees=1000, languages=["en"]))
    _accepted_mentees(storage, range(10))
    assert _sign_up(storage, "warm@example.org") is ParticipantStatus.ACCEPTED
    sent = dynamodb_requests(table)

    # WHEN one mentee signs up among 11, and another once 500 more are accepted
    _sign_up(storage, "among.ten@example.org")
    among_ten = Counter(sent)
    _accepted_mentees(storage, range(20, 520))
    sent.clear()
    _sign_up(storage, "among.many@example.org")

    # THEN both signups sent the same requests
    assert sent == among_ten
    assert sum(among_ten.values()) > 0


def test_a_signup_through_the_webhook_route_costs_three_requests_once_its_endpoint_is_known(table: Table) -> None:
    # GIVEN a programme whose signup form is connected, in a warm process that has seen one signup
    storage = dynamo_storage(table)
    storage.endpoints = CachedEndpoints(storage.endpoints)
    with world_with(storage) as world:
        coordinator = world.tenant()
        programme_id = coordinator.programme(languages=["en", "sr", "lt", "sl", "da"])
        issued = coordinator.endpoint(programme_id, "standard")
        issued.endpoint.field_mapping = FieldMapping.model_validate_json(MAPPING.read_bytes())
        storage.endpoints.save(issued.endpoint)
        path = f"/hooks/standard/{issued.endpoint.endpoint_id}"

        def post(number: int) -> Any:
            body = signup_body(number, world.clock.now().isoformat())
            headers = signed_standard(issued.secret, body, msg_id=f"msg_{number}", at=world.clock.now())
            return world.client.http.post(path, headers=headers, body=body)

        assert post(0).json_body["state"] == "done"
        sent = dynamodb_requests(table)

        # WHEN another person signs up
        answer = post(1)

    # THEN they are enrolled and welcomed with one write of the delivery, one read and one write of the outcome
    assert answer.json_body["state"] == "done"
    assert sent == Counter({"PutItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1})
    enrolled = storage.participants.list(issued.endpoint.tenant_id, programme_id).items
    assert len(enrolled) == 2
