"""A preview reads a signup whose body was too large for one item and was kept in parts."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator

import pytest

from chalicelib.storage.repositories import dynamo_storage
from chalicelib.webhooks.sources import typeform as typeform_vendor
from tests.functional.test_intake_mapping_api import MAPPING
from tests.integration.tables import moto_table
from tests.support.events import load_event_json
from tests.support.world import V1, World, world_with


@pytest.fixture
def world() -> Iterator[World]:
    """On moto: only DynamoDB refuses an item over 400 KB, which is what sends a body into parts."""
    with moto_table() as table, world_with(dynamo_storage(table)) as built:
        yield built


def long_signup() -> bytes:
    """Laura's signup whose long answer (600 KB that does not compress) leaves the body too large for one item."""
    event = load_event_json("typeform_form_response.json")
    noise = base64.b64encode(random.Random(9).randbytes(450_000)).decode()
    for answer in event["form_response"]["answers"]:
        if answer["field"]["id"] == "DlXFaesGBpoF":
            answer["text"] = f"Mentoring matters to me. {noise}"
    return json.dumps(event).encode()


def test_the_preview_maps_a_signup_kept_in_parts(world: World) -> None:
    # GIVEN a signup too large for one item, parked because the mapping does not know its language answer
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "typeform")
    base = f"{V1}/endpoints/{issued.endpoint.endpoint_id}"
    world.client.http.put(f"{base}/mapping", headers=coordinator.headers(), body=json.dumps(MAPPING))
    body = long_signup()
    signature = typeform_vendor.SIGNING.sign(issued.secret, body)
    headers = {"Content-Type": "application/json", "Typeform-Signature": signature}
    delivered = world.client.http.post(f"/hooks/typeform/{issued.endpoint.endpoint_id}", headers=headers, body=body)
    stored = world.storage.deliveries.get(issued.endpoint.endpoint_id, "LtWXD3crgy")
    assert stored is not None
    assert (stored.body, stored.body_parts > 1) == (None, True)

    # WHEN the coordinator previews it
    preview = coordinator.get(f"{base}/deliveries/LtWXD3crgy/preview")

    # THEN the parts are read back: the submission is mapped, with the same problem the processing met
    assert delivered.json_body["state"] == "needs_attention"
    assert preview.status_code == 200, preview.json_body
    assert preview.json_body["submission"]["submission_id"] == "a3a12ec67a1365927098a606107fac15"
    assert preview.json_body["ok"] is False
    assert [p["field"] for p in preview.json_body["problems"]] == ["language"]
