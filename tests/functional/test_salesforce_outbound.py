"""Salesforce Outbound Messages through ``POST /hooks/salesforce/{id}?token=…``: XML in, the SOAP Ack out."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
import responses

from chalicelib.domain.sync import CredentialRef, FieldMap, ScopeRule, SecretStore, SyncConnector, Vendor
from chalicelib.domain.webhook import DeliveryState, Purpose
from chalicelib.storage.repositories import Storage
from tests.support.aws import mock_aws
from tests.support.world import World, world_with

OUTBOUND_MESSAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00D5e000000KcbAEAS</OrganizationId>
   <ActionId>04k5e000000Mntr</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://kcb.my.salesforce.com/services/Soap/c/60.0/00D5e000000Kcb</EnterpriseUrl>
   <PartnerUrl>https://kcb.my.salesforce.com/services/Soap/u/60.0/00D5e000000Kcb</PartnerUrl>
   <Notification>
    <Id>04l5e00000AbCdEAAV</Id>
    <sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>0035e00000XyZ12AAB</sf:Id>
     <sf:Email>jelena@kcb.rs</sf:Email>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>
"""
XML = {"Content-Type": "text/xml; charset=utf-8"}


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with world_with(storage) as built:
        yield built


def test_an_outbound_message_with_the_token_is_kept_and_acknowledged_in_soap(world: World) -> None:
    # GIVEN a Salesforce people endpoint, its URL carrying the token
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "salesforce", Purpose.PEOPLE)
    token = issued.url.split("?token=", 1)[1]

    # WHEN Salesforce posts an outbound message for a changed contact
    answer = world.client.http.post(
        f"/hooks/salesforce/{issued.endpoint.endpoint_id}?token={token}", headers=XML, body=OUTBOUND_MESSAGE
    )

    # THEN it answers the SOAP Ack, and the delivery is kept without the token (ignored: nothing pulls Salesforce)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert b"<Ack>true</Ack>" in answer.body
    (stored,) = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)
    assert stored.state is DeliveryState.IGNORED
    assert "token" not in stored.query


def test_an_outbound_message_without_the_token_is_refused_and_not_acknowledged(world: World) -> None:
    # GIVEN a Salesforce people endpoint
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "salesforce", Purpose.PEOPLE)

    # WHEN a message arrives without the token, and one with a DOCTYPE (an entity bomb's carrier)
    refused = world.client.http.post(
        f"/hooks/salesforce/{issued.endpoint.endpoint_id}", headers=XML, body=OUTBOUND_MESSAGE
    )

    # THEN it is refused before anything is stored, with no Ack (Salesforce will retry)
    assert refused.status_code == 401
    assert b"<Ack>" not in refused.body
    assert world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id) == []


def test_an_outbound_message_with_a_doctype_is_kept_for_a_person_and_never_parsed(world: World) -> None:
    # GIVEN a Salesforce people endpoint
    coordinator = world.tenant()
    issued = coordinator.endpoint(coordinator.programme(), "salesforce", Purpose.PEOPLE)
    token = issued.url.split("?token=", 1)[1]
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><lolz>&lol;</lolz>'

    # WHEN such a body arrives with the token
    answer = world.client.http.post(
        f"/hooks/salesforce/{issued.endpoint.endpoint_id}?token={token}", headers=XML, body=bomb
    )

    # THEN it is acknowledged (kept) and waits for a person, its entities never expanded
    assert answer.status_code == 200
    (stored,) = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)
    assert stored.state is DeliveryState.NEEDS_ATTENTION
    assert (
        stored.last_error
        == "the payload cannot be read: Salesforce body carries a DOCTYPE, which no outbound message has"
    )


def _salesforce_connector(world: World, tenant_id: str, organisation: str) -> None:
    world.storage.connectors.save(
        SyncConnector(
            tenant_id=tenant_id,
            vendor=Vendor.SALESFORCE,
            credentials=CredentialRef(store=SecretStore.SECRETS_MANAGER, name="mentorflow/local/crm/salesforce"),
            settings={"object": "Contact", "organization_id": organisation},
            mapping=FieldMap(external_id="Id", email="Email"),
            created_at=world.clock.now(),
            updated_at=world.clock.now(),
        )
    )


@pytest.mark.parametrize(
    ("organisation", "status", "kept"),
    [("00D5e000000KcbAEAS", 200, 1), ("00D5e000000KcbA", 200, 1), ("00D5e000000FrgdAAA", 403, 0)],
)
def test_an_outbound_message_from_another_organisation_than_the_connectors_is_refused_with_a_fault(
    world: World, organisation: str, status: int, kept: int
) -> None:
    # GIVEN a Salesforce people endpoint of a tenant whose connector names its organisation
    coordinator = world.tenant()
    _salesforce_connector(world, coordinator.tenant_id, organisation)
    issued = coordinator.endpoint(coordinator.programme(), "salesforce", Purpose.PEOPLE)
    token = issued.url.split("?token=", 1)[1]

    # WHEN a message naming organisation 00D5e000000KcbA arrives with the right token
    answer = world.client.http.post(
        f"/hooks/salesforce/{issued.endpoint.endpoint_id}?token={token}", headers=XML, body=OUTBOUND_MESSAGE
    )

    # THEN the connected organisation is acknowledged and kept; another gets a SOAP fault, no Ack, nothing kept
    assert answer.status_code == status
    assert (b"<Ack>true</Ack>" in answer.body) is (status == 200)
    assert (b"<faultcode>soapenv:Client</faultcode>" in answer.body) is (status == 403)
    assert len(world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)) == kept


SALESFORCE_CONTACT = "https://kcb.my.salesforce.com/services/data/v60.0/sobjects/Contact/0035e00000XyZ12AAB"


def test_an_outbound_message_about_a_participants_contact_updates_her_mapped_fields(world: World) -> None:
    # GIVEN Jelena, a participant, who is Salesforce contact 0035e00000XyZ12AAB, and the tenant's Salesforce connector
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["sr", "en"])
    coordinator.enrol(programme_id, "mentor", "Jelena Đorđević", "jelena@kcb.rs", department="Umetnost")
    world.storage.connectors.save(
        SyncConnector(
            tenant_id=coordinator.tenant_id,
            vendor=Vendor.SALESFORCE,
            credentials=CredentialRef(store=SecretStore.SECRETS_MANAGER, name="mentorflow/local/crm/salesforce"),
            settings={"object": "Contact", "organization_id": "00D5e000000KcbA"},
            mapping=FieldMap(external_id="Id", email="Email", department="Department"),
            scopes=[ScopeRule(programme_id=programme_id)],
            created_at=world.clock.now(),
            updated_at=world.clock.now(),
        )
    )
    issued = coordinator.endpoint(programme_id, "salesforce", Purpose.PEOPLE)
    token = issued.url.split("?token=", 1)[1]
    contact = {
        "attributes": {"type": "Contact"},
        "Id": "0035e00000XyZ12AAB",
        "Email": "jelena@kcb.rs",
        "Department": "Muzika",
    }

    # WHEN Salesforce posts the outbound message for her contact
    with mock_aws(), responses.RequestsMock() as mock:
        boto3.client("secretsmanager").create_secret(
            Name="mentorflow/local/crm/salesforce",
            SecretString=json.dumps({"instance_url": "https://kcb.my.salesforce.com", "access_token": "sf-token"}),
        )
        mock.add(responses.GET, SALESFORCE_CONTACT, json=contact)
        answer = world.client.http.post(
            f"/hooks/salesforce/{issued.endpoint.endpoint_id}?token={token}", headers=XML, body=OUTBOUND_MESSAGE
        )
        asked = mock.calls[0].request.url

    # THEN it is acknowledged, only the mapped fields were read, and her department follows
    assert b"<Ack>true</Ack>" in answer.body
    assert asked.endswith("?fields=Id%2CEmail%2CDepartment")
    (stored,) = world.storage.deliveries.for_endpoint(issued.endpoint.endpoint_id)
    assert stored.state is DeliveryState.DONE
    (jelena,) = world.storage.participants.list(coordinator.tenant_id, programme_id).items
    assert jelena.profile.department == "Muzika"
