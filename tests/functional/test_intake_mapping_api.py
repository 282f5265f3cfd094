"""The admin API of form intake: an endpoint's field mapping, dry runs, and fixing a failed signup by replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.forms.mapping import FieldMapping
from chalicelib.domain.participant import ParticipantStatus
from chalicelib.domain.webhook import Purpose
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import typeform as typeform_vendor
from tests.support.events import load_event
from tests.support.world import V1, TenantHandle, World, world_with

MAPPING: dict[str, Any] = {
    "role": {"constant": "mentee"},
    "email": {"ref": "readable_ref_email"},
    "name": {"ref": "readable_ref_short_text"},
    "language": {"label": "Which of these cities is your favorite?", "choices": {"Paris": "fr"}, "required": True},
    "consent": {"ref": "readable_ref_legal", "required": True},
}


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with world_with(storage) as built:
        yield built


def _put(world: World, who: TenantHandle, path: str, body: Any) -> Any:
    return world.client.http.put(path, headers=who.headers(), body=json.dumps(body))


def test_a_mapping_is_stored_on_the_endpoint_and_read_back(world: World) -> None:
    # GIVEN a Typeform endpoint
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "typeform")
    path = f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping"

    # WHEN a mapping is put and read
    before = coordinator.get(path)
    put = _put(world, coordinator, path, MAPPING)
    got = coordinator.get(path)

    # THEN it is stored on the endpoint as a FieldMapping and shown as stored
    assert before.json_body["field_mapping"] is None
    assert put.status_code == 200
    assert got.json_body["field_mapping"] == put.json_body["field_mapping"]
    assert FieldMapping.model_validate(got.json_body["field_mapping"]) == FieldMapping.model_validate(MAPPING)
    stored = world.storage.endpoints.get(issued.endpoint.endpoint_id)
    assert stored is not None
    assert stored.field_mapping == FieldMapping.model_validate(MAPPING)
    assert stored.valid_secrets(world.clock.now()) == [issued.secret]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"role": {"constant": "coach"}}, "body: role: "),
        ({"consent": {"constant": True}}, "body: consent: "),
        ({"email": {"ref": "a", "label": "b"}}, "body: email: "),
        ({"nickname": {"label": "Nick"}}, "body: nickname: unknown field"),
        ({"languages": {"label": "L", "choices": {"Srpski": "Serbian"}}}, "body: languages: "),
    ],
)
def test_a_wrong_mapping_answers_400_naming_the_field_and_changes_nothing(
    world: World, change: dict[str, Any], named: str
) -> None:
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "typeform")

    answer = _put(world, coordinator, f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping", MAPPING | change)

    assert answer.status_code == 400
    assert answer.json_body["error"] == "invalid_request"
    assert answer.json_body["message"].startswith(named)
    stored = world.storage.endpoints.get(issued.endpoint.endpoint_id)
    assert stored is not None
    assert stored.field_mapping is None


def test_another_tenants_endpoint_answers_404_like_a_missing_one(world: World) -> None:
    # GIVEN an endpoint of one tenant with a delivery, and another tenant
    owner = world.tenant("Kulturni centar Beograd")
    intruder = world.tenant("Another organisation")
    issued = owner.endpoint(owner.programme(), "typeform")
    _put(world, owner, f"{V1}/endpoints/{issued.endpoint.endpoint_id}/mapping", MAPPING)
    body = load_event("typeform_form_response.json")
    world.client.http.post(
        f"/hooks/typeform/{issued.endpoint.endpoint_id}",
        headers={
            "Content-Type": "application/json",
            "Typeform-Signature": typeform_vendor.SIGNING.sign(issued.secret, body),
        },
        body=body,
    )
    base = f"{V1}/endpoints/{issued.endpoint.endpoint_id}"

    # WHEN the other tenant tries every intake operation
    answers = [
        intruder.get(f"{base}/mapping"),
        _put(world, intruder, f"{base}/mapping", MAPPING | {"role": {"constant": "mentor"}}),
        intruder.get(f"{base}/deliveries/LtWXD3crgy/preview"),
        intruder.post(f"{base}/deliveries/LtWXD3crgy/preview", MAPPING),
        owner.get(f"{V1}/endpoints/ep_missing/mapping"),
        owner.get(f"{base}/deliveries/no-such-delivery/preview"),
    ]

    # THEN all are 404, and the owner's mapping is untouched
    assert [a.status_code for a in answers] == [404] * len(answers)
    stored = world.storage.endpoints.get(issued.endpoint.endpoint_id)
    assert stored is not None
    assert stored.field_mapping is not None
    assert stored.field_mapping.role.constant == "mentee"


def test_an_endpoint_that_receives_no_forms_takes_no_mapping(world: World) -> None:
    # GIVEN a booking-tool endpoint in storage (one that no signup form feeds)
    coordinator = world.tenant()
    signup = coordinator.endpoint(coordinator.programme(), "typeform").endpoint
    booking = {"endpoint_id": "ep_calendly", "source": "calendly", "purpose": Purpose.MEETINGS}
    meetings = signup.model_copy(update=booking)
    world.storage.endpoints.save(meetings.model_copy(update={"version": 0}))
    # WHEN a mapping is put on it
    answer = _put(world, coordinator, f"{V1}/endpoints/{meetings.endpoint_id}/mapping", MAPPING)
    # THEN
    assert answer.status_code == 400
    assert "calendly" in answer.json_body["message"]


def test_a_failed_mapping_is_visible_previewed_fixed_and_replayed_into_a_participant(world: World) -> None:
    # GIVEN a mapping whose language table does not know the answer, and Laura's signup delivered
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    issued = coordinator.endpoint(programme_id, "typeform")
    base = f"{V1}/endpoints/{issued.endpoint.endpoint_id}"
    _put(world, coordinator, f"{base}/mapping", MAPPING)
    body = load_event("typeform_form_response.json")
    delivered = world.client.http.post(
        f"/hooks/typeform/{issued.endpoint.endpoint_id}",
        headers={
            "Content-Type": "application/json",
            "Typeform-Signature": typeform_vendor.SIGNING.sign(issued.secret, body),
        },
        body=body,
    )

    # WHEN the coordinator looks at what needs attention and previews it
    attention = coordinator.get(f"{base}/deliveries?state=needs_attention").json_body["items"]
    preview = coordinator.get(f"{base}/deliveries/LtWXD3crgy/preview").json_body

    # THEN the reason and each problem are shown, the answer itself only in the preview, and nobody was created
    assert delivered.json_body["state"] == "needs_attention"
    assert [(d["delivery_id"], d["last_error"]) for d in attention] == [
        (
            "LtWXD3crgy",
            'the answers do not fit the field mapping: language: unknown choice "…" for language',
        )
    ]
    assert attention[0]["result"]["problems"] == [
        {"field": "language", "code": "unknown_choice", "reason": 'unknown choice "…" for language'}
    ]
    assert preview["ok"] is False
    assert preview["problems"] == [
        {"field": "language", "code": "unknown_choice", "reason": 'unknown choice "London" for language'}
    ]
    assert preview["submission"]["submission_id"] == "a3a12ec67a1365927098a606107fac15"
    assert world.storage.participants.list(coordinator.tenant_id, programme_id).items == []

    # WHEN a fixed mapping is tried, stored, and the delivery replayed
    fixed = MAPPING | {"language": {"label": "Which of these cities is your favorite?", "choices": {"London": "en"}}}
    tried = coordinator.post(f"{base}/deliveries/LtWXD3crgy/preview", fixed).json_body
    _put(world, coordinator, f"{base}/mapping", fixed)
    previewed = coordinator.get(f"{base}/deliveries/LtWXD3crgy/preview").json_body
    replayed = coordinator.post(f"{base}/deliveries/LtWXD3crgy/replay")

    # THEN the dry runs show the profile, and the replay onboards Laura with one English welcome
    assert (tried["ok"], tried["profile"]["language"]) == (True, "en")
    assert previewed["profile"] == tried["profile"]
    assert replayed.status_code == 200
    assert replayed.json_body["state"] == "done"
    [laura] = world.storage.participants.list(coordinator.tenant_id, programme_id).items
    assert (laura.profile.name, laura.profile.language, laura.status) == ("Laura", "en", ParticipantStatus.ACCEPTED)
    [welcome] = world.storage.messages.for_participant(coordinator.tenant_id, laura.participant_id)
    assert (welcome.template, welcome.language) == ("welcome", "en")


def test_the_openapi_document_describes_the_intake_operations(world: World) -> None:
    paths = world.client.http.get(f"{V1}/openapi.json").json_body["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/endpoints/{endpoint_id}/mapping"])
    assert {"get", "post"} <= set(paths["/api/v1/endpoints/{endpoint_id}/deliveries/{delivery_id}/preview"])
