"""The endpoint cache of a warm process, seen through the admin API and the webhook route."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalicelib.storage.endpoints import CachedEndpoints
from chalicelib.storage.repositories import Storage
from tests.support.world import RecordingProcessor, World, signed_standard, standard_source, world_with

V1 = "/api/v1"
BODY = json.dumps({"type": "form.submitted", "data": {"answers": [{"id": "name", "value": "Eglė Šuštar"}]}}).encode()


@pytest.fixture
def cached_world(storage: Storage, processor: RecordingProcessor) -> Iterator[World]:
    # As the deployed container builds its storage: endpoints read through the cache.
    storage.endpoints = CachedEndpoints(storage.endpoints)
    with world_with(storage, sources=standard_source(processor)) as built:
        yield built


def test_an_endpoint_deleted_through_the_admin_api_takes_no_delivery_after_it(
    cached_world: World, processor: RecordingProcessor
) -> None:
    # GIVEN an endpoint that took a delivery, so the process holds it
    coordinator = cached_world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "standard")
    path = f"/hooks/standard/{issued.endpoint.endpoint_id}"
    now = cached_world.clock.now()
    first = cached_world.client.http.post(
        path, headers=signed_standard(issued.secret, BODY, msg_id="m1", at=now), body=BODY
    )
    assert first.status_code == 200

    # WHEN the coordinator deletes it and the vendor sends another delivery
    deleted = coordinator.delete(f"{V1}/endpoints/{issued.endpoint.endpoint_id}")
    after = cached_world.client.http.post(
        path, headers=signed_standard(issued.secret, BODY, msg_id="m2", at=now), body=BODY
    )

    # THEN the delivery is refused at once, and only the first was processed
    assert deleted.status_code in (200, 204)
    assert after.status_code == 404
    assert processor.processed == ["m1"]
