"""No 500 on any input: bodies too deep or with too long numbers answer 400 on the admin API, and
signed webhook bodies like that are kept as needing attention with a reason, not retried to death."""

from __future__ import annotations

import base64
import json
import random
import zlib
from collections.abc import Iterator
from datetime import timedelta

import pytest

from chalicelib.domain.webhook import DeliveryState
from chalicelib.jobs import run_job
from chalicelib.services.inbox.service import with_body
from chalicelib.storage.base import DynamoRepository
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import tally as tally_vendor
from chalicelib.webhooks.sources import typeform as typeform_vendor
from tests.support.events import load_event_json
from tests.support.world import World, world_with

V1 = "/api/v1"
DEEP = "[" * 1000 + "]" * 1000
HUGE = "9" * 5000


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with world_with(storage) as built:
        yield built


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('{"name": ' + DEEP + "}", "nests deeper than 64 levels"),
        ('{"name": "Mentorski program", "max_mentees": ' + HUGE + "}", "number longer than 100 digits"),
    ],
)
def test_the_admin_api_answers_400_naming_the_problem_of_a_body_too_deep_or_with_a_huge_number(
    world: World, body: str, problem: str
) -> None:
    # GIVEN a coordinator
    coordinator = world.tenant()

    # WHEN they post such a body to create a programme
    answer = world.client.http.post(f"{V1}/programmes", headers=coordinator.headers(), body=body)

    # THEN it is refused with 400 naming the problem
    assert answer.status_code == 400
    assert problem in answer.json_body["message"]


def _typeform_with(value: str) -> bytes:
    text = json.dumps(load_event_json("typeform_form_response.json"))
    return text.replace('"number": 5', f'"number": {value}', 1).encode()


def _tally_with(value: str) -> bytes:
    event = load_event_json("tally_FORM_RESPONSE.json")
    text = json.dumps(event)
    return text.replace('"value": 10', f'"value": {value}', 1).encode()


@pytest.mark.parametrize("value", [HUGE, DEEP], ids=["huge-integer", "deep-nesting"])
@pytest.mark.parametrize("source", ["typeform", "tally"])
def test_a_signed_body_that_cannot_be_read_is_kept_for_attention_with_a_reason(
    world: World, source: str, value: str
) -> None:
    # GIVEN a form endpoint, and a body its vendor signed that holds a huge number or deep nesting
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), source)
    body = _typeform_with(value) if source == "typeform" else _tally_with(value)
    assert value in body.decode()
    signing = typeform_vendor.SIGNING if source == "typeform" else tally_vendor.SIGNING
    header = "Typeform-Signature" if source == "typeform" else "Tally-Signature"

    # WHEN the vendor posts it, and the retry sweeper runs later
    answer = world.client.http.post(
        f"/hooks/{source}/{issued.endpoint.endpoint_id}",
        headers={"Content-Type": "application/json", header: signing.sign(issued.secret, body)},
        body=body,
    )
    world.clock.advance(timedelta(minutes=30))
    run_job("retry-deliveries", world.container)

    # THEN the vendor is answered without a 5xx, and the delivery is kept, needing attention, with the reason
    assert answer.status_code < 500
    (stored,) = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)
    assert stored.state is DeliveryState.NEEDS_ATTENTION
    assert stored.body == body
    assert "cannot be read" in (stored.last_error or "")


def test_an_admin_body_too_large_for_one_stored_item_answers_413_before_anything_is_written(world: World) -> None:
    # GIVEN a form endpoint, and a field mapping whose choices table is larger than a DynamoDB item
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "typeform")
    choices = {f"Choice number {n:06d} with a long label": "leadership" for n in range(12_000)}
    mapping = {"role": {"constant": "mentee"}, "email": {"ref": "e"}, "tags": {"ref": "t", "choices": choices}}

    # WHEN the coordinator stores it
    answer = world.client.http.put(
        f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping", headers=coordinator.headers(), body=json.dumps(mapping)
    )

    # THEN it is refused with 413 and the endpoint is unchanged
    assert answer.status_code == 413
    stored = world.storage.endpoints.get(issued.endpoint.endpoint_id)
    assert stored is not None
    assert stored.field_mapping is None


def test_a_programme_grown_past_one_stored_item_by_patches_answers_413_and_keeps_what_it_had(
    world: World, storage: Storage
) -> None:
    if not isinstance(storage.programmes, DynamoRepository):
        pytest.skip("the 400 KB item limit is DynamoDB's")
    # GIVEN a programme patched with about 320 KB of milestones
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    title = "x" * 170
    milestones = [{"kind": "other", "date": "2026-10-01", "title": f"{n:05d} {title}"} for n in range(1400)]
    first = coordinator.patch(f"{V1}/programmes/{programme_id}", {"milestones": milestones})
    assert first.status_code == 200, first.json_body

    # WHEN another patch adds about 200 KB in another field
    surveys = [{"kind": "pulse", "offset_days": 30 + n % 300, "repeat_every_days": 60} for n in range(3000)]
    grown = coordinator.patch(f"{V1}/programmes/{programme_id}", {"surveys": surveys})

    # THEN no 500: it is refused as too large, and the programme keeps what it had
    assert grown.status_code == 413, grown.json_body
    stored = world.storage.programmes.get(coordinator.tenant_id, programme_id)
    assert stored is not None
    assert (len(stored.milestones), len(stored.surveys)) == (1400, 3)


def test_a_signed_body_too_large_for_one_item_is_kept_in_parts_and_processed(world: World) -> None:
    # GIVEN a Typeform endpoint, and a signed response whose free-text answer barely compresses (900 KB)
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "typeform")
    event = load_event_json("typeform_form_response.json")
    event["form_response"]["answers"][0]["text"] = base64.b64encode(random.Random(9).randbytes(660_000)).decode()
    body = json.dumps(event).encode()
    assert len(zlib.compress(body, 6)) > 400_000
    signature = typeform_vendor.SIGNING.sign(issued.secret, body)

    # WHEN Typeform posts it
    answer = world.client.http.post(
        f"/hooks/typeform/{issued.endpoint.endpoint_id}",
        headers={"Content-Type": "application/json", "Typeform-Signature": signature},
        body=body,
    )

    # THEN it is kept (not 413), read whole for processing, and goes with its endpoint
    assert answer.status_code in (200, 202), answer.json_body
    (stored,) = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)
    assert stored.last_error == "no field mapping is configured for this endpoint"
    assert with_body(stored, world.storage).body == body
    coordinator.delete(f"{V1}/endpoints/{issued.endpoint.endpoint_id}")
    assert world.storage.delivery_bodies.read(issued.endpoint.endpoint_id, stored.delivery_id) is None
