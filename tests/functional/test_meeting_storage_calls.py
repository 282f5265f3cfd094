"""What one meeting notification costs in DynamoDB requests, observed on the wire (botocore's events on moto)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from bench.meetings_bench import notification
from chalicelib.domain.webhook import Purpose
from chalicelib.registry import source_registry
from chalicelib.storage.endpoints import CachedEndpoints
from chalicelib.storage.programmes import CachedProgrammes
from chalicelib.storage.repositories import dynamo_storage
from chalicelib.webhooks.sources import calcom
from tests.integration.tables import dynamodb_requests, moto_table
from tests.support.pairs import stored_pair
from tests.support.world import START, world_with

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@pytest.fixture
def table() -> Iterator[Table]:
    with moto_table() as table:
        yield table


def test_a_pairs_booking_in_a_warm_process_does_not_read_its_programme_again(table: Table) -> None:
    # GIVEN two pairs of a programme with a Cal.com endpoint, in a warm process that has seen one booking
    storage = dynamo_storage(table)
    storage.endpoints = CachedEndpoints(storage.endpoints)
    storage.programmes = CachedProgrammes(storage.programmes)
    with world_with(storage, sources=source_registry()) as world:
        coordinator = world.tenant()
        programme_id = coordinator.programme()
        pairs = [
            stored_pair(storage, coordinator.tenant_id, programme_id, mentor, mentee, approved_at=START)
            for mentor, mentee in (
                ("mentor.0@example.org", "Mentee.0@Example.org"),
                ("mentor.1@example.org", "Mentee.1@Example.org"),
            )
        ]
        issued = coordinator.endpoint(programme_id, "calcom", Purpose.MEETINGS)
        path = f"/hooks/calcom/{issued.endpoint.endpoint_id}"

        def post(body: bytes) -> Any:
            headers = {
                "Content-Type": "application/json",
                "X-Cal-Signature-256": calcom.SIGNING.sign(issued.secret, body),
            }
            return world.client.http.post(path, headers=headers, body=body)

        assert post(notification(0, 2)).json_body["state"] == "done"
        sent = dynamodb_requests(table)

        # WHEN the other pair books a meeting
        booking = notification(10, 2)
        answer = post(booking)

    # THEN it is logged with the delivery's write, the pair's and its meetings' reads and one write of the outcome
    assert json.loads(booking)["payload"]["organizer"]["email"] == "mentor.1@example.org"
    assert answer.json_body["state"] == "done"
    assert sent == Counter({"PutItem": 1, "Query": 2, "TransactWriteItems": 1})
    assert len(storage.meetings.for_pair(coordinator.tenant_id, programme_id, pairs[1].pair_id)) == 1
