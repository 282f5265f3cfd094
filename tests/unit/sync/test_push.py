"""Specification of pushing programme status to a CRM: HubSpot contacts by e-mail, Salesforce by external id."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import boto3
import pytest
import responses

from chalicelib.domain.participant import ParticipantStatus
from chalicelib.domain.sync import CredentialRef, FieldMap, ScopeRule, SecretStore, SyncConnector, Vendor
from chalicelib.errors import MentoringError
from chalicelib.sync import service
from chalicelib.sync.http import VendorHttp
from chalicelib.sync.secrets import SecretReader
from tests.support.aws import mock_aws
from tests.unit.matching_service.scene import NOW, TENANT, Scene

HUBSPOT_UPSERT = "https://api.hubapi.com/crm/v3/objects/contacts/batch/upsert"
SALESFORCE = "https://kcb.my.salesforce.com/services/data/v60.0/sobjects/Contact/Mentorflow_Email__c/"


@pytest.fixture
def vault() -> Iterator[SecretReader]:
    with mock_aws():
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="kcb/crm",
            SecretString=json.dumps({"access_token": "crm-token", "instance_url": "https://kcb.my.salesforce.com"}),
        )
        yield SecretReader(region="us-east-1")


def _crm(scene: Scene, vendor: Vendor) -> SyncConnector:
    return scene.storage.connectors.save(
        SyncConnector(
            tenant_id=TENANT,
            connector_id=f"con_{vendor.value}",
            vendor=vendor,
            credentials=CredentialRef(store=SecretStore.SECRETS_MANAGER, name="kcb/crm"),
            mapping=FieldMap(email="email"),
            scopes=[ScopeRule(programme_id=scene.programme_id)],
            created_at=NOW,
            updated_at=NOW,
        )
    )


def _push(scene: Scene, vendor: Vendor, vault: SecretReader) -> Any:
    return service.sync_connector(
        scene.storage,
        scene.notifier,
        scene.clock,
        tenant_id=TENANT,
        connector_id=f"con_{vendor.value}",
        tools=service.SyncTools(http=VendorHttp, secrets=vault),
    )


def test_hubspot_receives_each_participants_programme_status_as_contact_properties(
    scene: Scene, vault: SecretReader
) -> None:
    # GIVEN a mentor and a mentee in the programme, and a HubSpot connector for it
    scene.mentor("Jelena Đorđević", "jelena@kcb.rs")
    scene.mentee("Ana Novak", "ana@example.si")
    _crm(scene, Vendor.HUBSPOT)
    received: list[dict[str, Any]] = []

    def upsert(request: Any) -> tuple[int, dict[str, str], str]:
        assert request.headers["Authorization"] == "Bearer crm-token"
        inputs = json.loads(request.body)["inputs"]
        received.extend(inputs)
        return 200, {}, json.dumps({"status": "COMPLETE", "results": [{"id": str(n)} for n, _ in enumerate(inputs)]})

    # WHEN the connector runs
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, HUBSPOT_UPSERT, callback=upsert)
        figures = _push(scene, Vendor.HUBSPOT, vault)

    # THEN both contacts were upserted by e-mail with their programme, status and role
    assert figures.pushed == 2
    assert sorted((r["idProperty"], r["id"], r["properties"]["mentorflow_status"]) for r in received) == [
        ("email", "ana@example.si", ParticipantStatus.ACCEPTED.value),
        ("email", "jelena@kcb.rs", ParticipantStatus.ACCEPTED.value),
    ]
    assert {r["properties"]["mentorflow_programme"] for r in received} == {"Uvođenje 2026"}


def test_salesforce_upserts_a_contact_per_participant_by_external_id(scene: Scene, vault: SecretReader) -> None:
    # GIVEN a mentee with a Serbian e-mail address, and a Salesforce connector
    scene.mentee("Đorđe Đorđević", "đorđe@kcb.rs")
    _crm(scene, Vendor.SALESFORCE)
    upserts: dict[str, dict[str, Any]] = {}

    def patch(request: Any) -> tuple[int, dict[str, str], str]:
        upserts[request.url.rsplit("/", 1)[1]] = json.loads(request.body)
        return 201, {}, json.dumps({"id": "003xx", "success": True, "created": True})

    # WHEN the connector runs
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.PATCH, re.compile(re.escape(SALESFORCE) + ".*"), callback=patch)
        figures = _push(scene, Vendor.SALESFORCE, vault)

    # THEN one contact was upserted, keyed by the URL-encoded e-mail, with the programme status
    assert figures.pushed == 1
    assert upserts == {
        "%C4%91or%C4%91e@kcb.rs": {
            "Mentorflow_Programme__c": "Uvođenje 2026",
            "Mentorflow_Status__c": "accepted",
            "Mentorflow_Role__c": "mentee",
        }
    }


def test_a_missing_credential_is_named_by_reference_and_kept_as_the_runs_error(
    scene: Scene, vault: SecretReader
) -> None:
    # GIVEN a HubSpot connector whose secret name does not exist
    connector = _crm(scene, Vendor.HUBSPOT)
    connector.credentials = CredentialRef(store=SecretStore.SSM, name="/kcb/missing")
    scene.storage.connectors.save(connector)

    # WHEN it runs
    with pytest.raises(MentoringError) as raised:
        _push(scene, Vendor.HUBSPOT, vault)

    # THEN the error names the reference, and the connector keeps it as its last run's error
    assert str(raised.value) == "credential /kcb/missing could not be read from ssm (ParameterNotFound)"
    stored = scene.storage.connectors.get(TENANT, "con_hubspot")
    assert stored is not None
    assert stored.last_run is not None
    assert stored.last_run.error == str(raised.value)


TOKEN_URL = "https://kcb.my.salesforce.com/services/oauth2/token"
EXPIRED = json.dumps([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])


def _refreshable(scene: Scene) -> None:
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="kcb/crm-refreshable",
        SecretString=json.dumps(
            {
                "access_token": "expired-token",
                "refresh_token": "refresh-1",
                "client_id": "mentorflow-app",
                "client_secret": "app-secret",
                "instance_url": "https://kcb.my.salesforce.com",
            }
        ),
    )
    connector = _crm(scene, Vendor.SALESFORCE)
    connector.credentials = CredentialRef(store=SecretStore.SECRETS_MANAGER, name="kcb/crm-refreshable")
    scene.storage.connectors.save(connector)


def test_an_expired_salesforce_session_is_refreshed_once_and_the_upserts_go_through(
    scene: Scene, vault: SecretReader
) -> None:
    # GIVEN two participants, and a Salesforce connector whose access token has expired
    scene.mentee("Ana Novak", "ana@example.si")
    scene.mentor("Jelena Đorđević", "jelena@kcb.rs")
    _refreshable(scene)
    grants: list[dict[str, str]] = []
    upserted: list[str] = []

    def token(request: Any) -> tuple[int, dict[str, str], str]:
        grants.append(dict(parse_qsl(request.body)))
        return 200, {}, json.dumps({"access_token": "fresh-token", "instance_url": "https://kcb.my.salesforce.com"})

    def patch(request: Any) -> tuple[int, dict[str, str], str]:
        if request.headers["Authorization"] != "Bearer fresh-token":
            return 401, {"Content-Type": "application/json"}, EXPIRED
        upserted.append(request.url.rsplit("/", 1)[1])
        return 204, {}, ""

    # WHEN the connector runs
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, TOKEN_URL, callback=token)
        mock.add_callback(responses.PATCH, re.compile(re.escape(SALESFORCE) + ".*"), callback=patch)
        figures = _push(scene, Vendor.SALESFORCE, vault)

    # THEN one refresh-token grant was made, and both records were upserted with the new token
    assert grants == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "refresh-1",
            "client_id": "mentorflow-app",
            "client_secret": "app-secret",
        }
    ]
    assert figures.pushed == 2
    assert sorted(upserted) == ["ana@example.si", "jelena@kcb.rs"]


def test_a_salesforce_session_still_refused_after_a_refresh_stops_the_run_without_a_second_refresh(
    scene: Scene, vault: SecretReader
) -> None:
    # GIVEN a participant, and a Salesforce connector whose refreshed token is refused too
    scene.mentee("Ana Novak", "ana@example.si")
    _refreshable(scene)
    grants: list[str] = []

    def token(request: Any) -> tuple[int, dict[str, str], str]:
        grants.append(request.body)
        return 200, {}, json.dumps({"access_token": "also-refused"})

    # WHEN the connector runs
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, TOKEN_URL, callback=token)
        mock.add(responses.PATCH, re.compile(re.escape(SALESFORCE) + ".*"), status=401, body=EXPIRED)
        with pytest.raises(MentoringError) as raised:
            _push(scene, Vendor.SALESFORCE, vault)

    # THEN one refresh was tried, and the run's error names the refusal without any token
    assert len(grants) == 1
    assert str(raised.value) == "Salesforce refused the credentials (401)"
