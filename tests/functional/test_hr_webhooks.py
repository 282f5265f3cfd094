"""The vendors' published webhook payloads, signed here as each vendor signs, through ``POST /hooks/{source}/{id}``.

A verified people webhook syncs the tenant's connector at once against the vendor's
fake API; a bad or stale signature answers 401 with nothing stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
import responses

from chalicelib.domain.participant import participant_id_for
from chalicelib.domain.webhook import DeliveryState, Purpose
from chalicelib.services.inbox.ports import WebhookRequest
from chalicelib.storage.repositories import Storage
from chalicelib.webhooks.sources import bamboohr, hibob, hubspot, merge
from tests.support.aws import mock_aws
from tests.support.events import load_event
from tests.support.hr_vendors import VENDORS, Employee, FakeVendor
from tests.support.world import TenantHandle, World, world_with

V1 = "/api/v1"
HOST = "mentorflow.example.org"


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with mock_aws(), world_with(storage) as built:
        yield built


def _connected(world: World, vendor: FakeVendor) -> tuple[TenantHandle, str, str]:
    """A tenant whose programme takes the vendor's Muzika department, synced once; its people endpoint's secret."""
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    boto3.client("ssm").put_parameter(
        Name="/mentorflow/local/hr/kcb", Value=json.dumps(vendor.credentials), Type="SecureString"
    )
    created = coordinator.post(
        f"{V1}/connectors",
        {
            "vendor": vendor.vendor,
            "credentials": {"store": "ssm", "name": "/mentorflow/local/hr/kcb"},
            "settings": vendor.settings,
            "mapping": vendor.mapping,
            "scopes": [{"programme_id": programme_id, "role": "mentor", "departments": ["Muzika"]}],
        },
    )
    assert created.status_code == 201, created.json_body
    assert coordinator.post(f"{V1}/connectors/{created.json_body['connector_id']}/sync").status_code == 200
    issued = coordinator.endpoint(programme_id, vendor.vendor, Purpose.PEOPLE)
    return coordinator, programme_id, issued.secret


def _post(world: World, source: str, endpoint_id: str, body: bytes, headers: dict[str, str]) -> Any:
    return world.client.http.post(
        f"/hooks/{source}/{endpoint_id}",
        headers={"Content-Type": "application/json", "Host": HOST, **headers},
        body=body,
    )


def _endpoint_id(world: World, coordinator: TenantHandle) -> str:
    (endpoint,) = world.storage.endpoints.list(coordinator.tenant_id)
    return endpoint.endpoint_id


def _bamboohr_headers(world: World, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    request = WebhookRequest(method="POST", path="", body=body)
    signature = bamboohr.SPEC.verifier(world.clock).sign(secret, request, str(timestamp))  # type: ignore[attr-defined]
    return {"X-BambooHR-Signature": signature, "X-BambooHR-Timestamp": str(timestamp)}


@pytest.mark.parametrize(
    "fixture", ["bamboohr_employee.updated_event_based.json", "bamboohr_employee_with_fields.updated_field_based.json"]
)
def test_a_signed_bamboohr_webhook_syncs_the_change_at_once(world: World, fixture: str) -> None:
    # GIVEN BambooHR employees 67890 and 12345 (the fixtures' ids), synced as mentors
    vendor = VENDORS["bamboohr"]()
    vendor.hire(
        Employee(67890, "Jelena", "Đorđević", "jelena@kcb.rs", department="Muzika"),
        Employee(12345, "Bryony", "Ærø", "bryony@kcb.rs", department="Muzika"),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        vendor.install(mock)
        coordinator, programme_id, secret = _connected(world, vendor)
        # ... and one of them moves under a new manager in BambooHR
        world.clock.advance(timedelta(hours=1))
        number = 67890 if "event_based" in fixture else 12345
        vendor.change(number, world.clock.now(), manager_email="Soren@KCB.rs")
        body = load_event(fixture)

        # WHEN BambooHR posts the published payload, signed with the endpoint's secret
        answer = _post(
            world,
            "bamboohr",
            _endpoint_id(world, coordinator),
            body,
            _bamboohr_headers(world, secret, body, int(world.clock.now().timestamp())),
        )

    # THEN the delivery is done and the participant carries the new manager
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["state"] == "done"
    email = vendor.employees[number].email
    assert email is not None
    found = world.storage.participants.get(
        coordinator.tenant_id, programme_id, participant_id_for(coordinator.tenant_id, programme_id, email)
    )
    assert found is not None
    assert found.profile.manager_email == "soren@kcb.rs"


def test_a_stale_or_forged_bamboohr_signature_answers_401_and_stores_nothing(world: World) -> None:
    # GIVEN a connected BambooHR tenant
    vendor = VENDORS["bamboohr"]()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        vendor.install(mock)
        coordinator, _, secret = _connected(world, vendor)
    endpoint_id = _endpoint_id(world, coordinator)
    body = load_event("bamboohr_employee.updated_event_based.json")
    stale = int((world.clock.now() - timedelta(minutes=6)).timestamp())

    # WHEN a replay six minutes late and a payload signed with another secret arrive
    late = _post(world, "bamboohr", endpoint_id, body, _bamboohr_headers(world, secret, body, stale))
    forged = _post(
        world,
        "bamboohr",
        endpoint_id,
        body,
        _bamboohr_headers(world, "not-the-secret", body, int(world.clock.now().timestamp())),
    )

    # THEN both are refused before anything is stored
    assert (late.status_code, forged.status_code) == (401, 401)
    assert world.storage.deliveries.for_endpoint(endpoint_id) == []


def test_a_signed_hibob_webhook_syncs_and_its_ping_is_answered_unsigned(world: World) -> None:
    # GIVEN HiBob employee 3332883854254932743 (the fixture's id), synced
    vendor = VENDORS["hibob"]()
    vendor.hire(Employee(3332883854254932743, "Ona", "Čiurlionytė", "ona@kcb.lt", department="Muzika"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        vendor.install(mock)
        coordinator, programme_id, _ = _connected(world, vendor)
        endpoint_id = _endpoint_id(world, coordinator)
        # HiBob generates the key it signs with; the coordinator hands it to the endpoint.
        secret = "bob-generated-signing-key-7f3a"
        handed = world.client.http.put(
            f"{V1}/endpoints/{endpoint_id}/vendor-secret",
            headers=coordinator.headers(),
            body=json.dumps({"secret": secret}),
        )
        assert handed.status_code == 200, handed.json_body
        vendor.change(3332883854254932743, world.clock.now(), department="Muzika", manager_email="jonas@kcb.lt")
        body = load_event("hibob_table.entry.created_v2.json")

        # WHEN HiBob pings the URL, then posts the published event signed with SHA-512
        ping = _post(world, "hibob", endpoint_id, b"Ping test", {"Content-Type": "text/plain"})
        answer = _post(world, "hibob", endpoint_id, body, {"Bob-Signature": hibob.SIGNING.sign(secret, body)})

    # THEN the ping is answered, and the event syncs Ona's new manager
    assert ping.status_code == 200
    assert answer.status_code == 200, answer.json_body
    found = world.storage.participants.get(
        coordinator.tenant_id, programme_id, participant_id_for(coordinator.tenant_id, programme_id, "ona@kcb.lt")
    )
    assert found is not None
    assert found.profile.manager_email == "jonas@kcb.lt"


def test_a_signed_merge_webhook_syncs_a_termination_at_once(world: World) -> None:
    # GIVEN a Merge-linked organisation with a mentor, synced
    vendor = VENDORS["merge"]()
    vendor.hire(Employee(7, "Greg", "Hirsch", "greg@kcb.rs", department="Muzika"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        vendor.install(mock)
        coordinator, _programme_id, secret = _connected(world, vendor)
        world.clock.advance(timedelta(hours=1))
        vendor.change(7, world.clock.now(), termination="2026-09-01")
        employee = json.loads(load_event("merge_hris_employee_model.json"))
        envelope = {
            "hook": {"id": "hook-1", "event": "Employee.changed", "target": f"https://{HOST}/hooks/merge"},
            "linked_account": {"id": "acct-kcb", "integration": "BambooHR"},
            "data": employee,
        }
        body = json.dumps(envelope).encode()

        # WHEN Merge posts the change, signed with URL-safe base64
        answer = _post(
            world,
            "merge",
            _endpoint_id(world, coordinator),
            body,
            {"X-Merge-Webhook-Signature": merge.SIGNING.sign(secret, body)},
        )

    # THEN the mentor is withdrawn
    assert answer.status_code == 200, answer.json_body
    stored = world.storage.deliveries.for_endpoint(_endpoint_id(world, coordinator))
    assert [d.result for d in stored] == [
        {"event": "Employee.changed", "read": 1, "enrolled": 0, "updated": 0, "withdrawn": 1}
    ]


def test_a_signed_hubspot_contact_change_is_verified_and_ignored_without_reading_its_value(world: World) -> None:
    # GIVEN a tenant that pushes status to HubSpot but pulls nobody from it
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "hubspot", Purpose.PEOPLE)
    body = load_event("hubspot_contact.propertyChange.json")
    timestamp = str(int(world.clock.now().timestamp() * 1000))
    path = f"/hooks/hubspot/{issued.endpoint.endpoint_id}"
    request = WebhookRequest(method="POST", path=path, body=body, headers={"host": HOST})
    signature = hubspot.SPEC.verifier(world.clock).sign(issued.secret, request, timestamp)  # type: ignore[attr-defined]

    # WHEN HubSpot posts the published contact.propertyChange, signed v3
    answer = _post(
        world,
        "hubspot",
        issued.endpoint.endpoint_id,
        body,
        {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": timestamp},
    )

    # THEN it verified and was ignored, keeping no property value
    assert answer.status_code == 200, answer.json_body
    (stored,) = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)
    assert stored.state is DeliveryState.IGNORED
    assert "REDACTED" not in json.dumps(stored.result or {})


HUBSPOT_READ = "https://api.hubapi.com/crm/v3/objects/contacts/batch/read"
HUBSPOT_CONTACT = "847297356"  # the published fixture's objectId


def _hubspot_connected(world: World, contact_email: str) -> tuple[TenantHandle, str, Any, list[dict[str, Any]]]:
    """A tenant pushing to HubSpot, Jelena enrolled; HubSpot contact 847297356 is ``contact_email``."""
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["sr", "sl", "en"])
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@kcb.rs", department="Umetnost", language="sr")
    boto3.client("secretsmanager").create_secret(
        Name="mentorflow/local/crm/hubspot", SecretString=json.dumps({"access_token": "hubspot-private-app"})
    )
    created = coordinator.post(
        f"{V1}/connectors",
        {
            "vendor": "hubspot",
            "credentials": {"store": "secretsmanager", "name": "mentorflow/local/crm/hubspot"},
            "mapping": {
                "external_id": "id",
                "email": "properties.email",
                "language": "properties.hs_language",
                "department": "properties.department",
            },
            "scopes": [{"programme_id": programme_id}],
        },
    )
    assert created.status_code == 201, created.json_body
    issued = coordinator.endpoint(programme_id, "hubspot", Purpose.PEOPLE)
    asked: list[dict[str, Any]] = []

    def read(request: Any) -> tuple[int, dict[str, str], str]:
        asked.append(json.loads(request.body))
        contact = {"email": contact_email, "hs_language": "sl", "department": "Muzika"}
        results = [{"id": HUBSPOT_CONTACT, "properties": contact, "archived": False}]
        return 200, {"Content-Type": "application/json"}, json.dumps({"status": "COMPLETE", "results": results})

    return coordinator, programme_id, (issued, read), asked


def _post_hubspot_fixture(world: World, issued: Any) -> Any:
    body = load_event("hubspot_contact.propertyChange.json")
    timestamp = str(int(world.clock.now().timestamp() * 1000))
    path = f"/hooks/hubspot/{issued.endpoint.endpoint_id}"
    request = WebhookRequest(method="POST", path=path, body=body, headers={"host": HOST})
    signature = hubspot.SPEC.verifier(world.clock).sign(issued.secret, request, timestamp)  # type: ignore[attr-defined]
    return _post(
        world,
        "hubspot",
        issued.endpoint.endpoint_id,
        body,
        {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": timestamp},
    )


def test_a_signed_hubspot_change_of_a_participants_contact_updates_her_mapped_fields(world: World) -> None:
    # GIVEN Jelena, a participant, who is HubSpot contact 847297356
    coordinator, programme_id, (issued, read), asked = _hubspot_connected(world, "jelena@kcb.rs")

    # WHEN HubSpot posts the published contact.propertyChange, signed v3
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, HUBSPOT_READ, callback=read)
        answer = _post_hubspot_fixture(world, issued)

    # THEN only the mapped properties of that contact were read, and her language and department follow
    assert answer.status_code == 200, answer.json_body
    assert answer.json_body["state"] == "done"
    assert asked == [{"properties": ["department", "email", "hs_language"], "inputs": [{"id": HUBSPOT_CONTACT}]}]
    jelena = world.storage.participants.get(
        coordinator.tenant_id, programme_id, participant_id_for(coordinator.tenant_id, programme_id, "jelena@kcb.rs")
    )
    assert jelena is not None
    assert (jelena.profile.language, jelena.profile.department) == ("sl", "Muzika")


def test_a_signed_hubspot_change_of_a_contact_who_is_no_participant_is_ignored_with_a_reason(world: World) -> None:
    # GIVEN a HubSpot connector, and contact 847297356 who is nobody in the programme
    coordinator, programme_id, (issued, read), _ = _hubspot_connected(world, "someone.else@example.org")

    # WHEN HubSpot posts the published contact.propertyChange
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, HUBSPOT_READ, callback=read)
        answer = _post_hubspot_fixture(world, issued)

    # THEN the delivery is ignored, saying why, nobody is enrolled, and Jelena is untouched
    assert answer.status_code == 200, answer.json_body
    (stored,) = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)
    assert stored.state is DeliveryState.IGNORED
    assert stored.last_error == "the hubspot records named are no participant of a synced programme"
    people = world.storage.participants.list(coordinator.tenant_id, programme_id).items
    assert [(p.email, p.profile.department) for p in people] == [("jelena@kcb.rs", "Umetnost")]
