"""HR sync end to end: each vendor's fake API, the admin API, the matching service and the real outbox.

A fake organisation is connected through ``POST /api/v1/connectors`` with its credential
in SSM or Secrets Manager (moto); ``POST .../sync`` runs it; a mentor's termination in
the vendor withdraws them, ends their pair and tells the mentee in her language.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
import responses

from chalicelib.domain.pair import PairStatus
from chalicelib.domain.participant import ParticipantStatus, Profile, Role, participant_id_for
from chalicelib.jobs import run_job
from chalicelib.services import matching
from chalicelib.services import participants as participant_service
from chalicelib.settings import Settings
from chalicelib.storage.repositories import Storage
from chalicelib.sync import service as sync_service
from chalicelib.sync.http import VendorHttp
from tests.support.aws import mock_aws
from tests.support.hr_vendors import VENDORS, Employee, FakeBambooHR, FakeVendor
from tests.support.world import TEST_LINK_KEYS, TenantHandle, World, world_with

V1 = "/api/v1"


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    with mock_aws(), world_with(storage) as built:
        yield built


def _store_credential(vendor: FakeVendor) -> dict[str, str]:
    """Half the vendors keep their credential in SSM, half in Secrets Manager: both readers are exercised."""
    name = f"mentorflow/local/kcb/{vendor.vendor}"
    secret = json.dumps(vendor.credentials)
    if vendor.vendor in ("bamboohr", "personio", "merge"):
        boto3.client("ssm").put_parameter(Name=f"/{name}", Value=secret, Type="SecureString")
        return {"store": "ssm", "name": f"/{name}"}
    boto3.client("secretsmanager").create_secret(Name=name, SecretString=secret)
    return {"store": "secretsmanager", "name": name}


def _connect(coordinator: TenantHandle, vendor: FakeVendor, programme_id: str, **scope: Any) -> str:
    answer = coordinator.post(
        f"{V1}/connectors",
        {
            "vendor": vendor.vendor,
            "credentials": _store_credential(vendor),
            "settings": vendor.settings,
            "mapping": vendor.mapping,
            "scopes": [{"programme_id": programme_id, **scope}],
        },
    )
    assert answer.status_code == 201, answer.json_body
    return str(answer.json_body["connector_id"])


def _sync(coordinator: TenantHandle, connector_id: str) -> dict[str, Any]:
    answer = coordinator.post(f"{V1}/connectors/{connector_id}/sync")
    assert answer.status_code == 200, answer.json_body
    return dict(answer.json_body)


def _participant(world: World, tenant_id: str, programme_id: str, email: str) -> Any:
    return world.storage.participants.get(tenant_id, programme_id, participant_id_for(tenant_id, programme_id, email))


@pytest.mark.parametrize("vendor_name", sorted(VENDORS))
def test_each_vendor_syncs_an_organisation_and_a_leaving_mentor_is_withdrawn_with_the_mentee_told(
    world: World, vendor_name: str
) -> None:
    # GIVEN two mentors in the vendor, connected as the programme's mentors, and a mentee who signed up
    vendor = VENDORS[vendor_name]()
    vendor.hire(
        Employee(1, "Jelena", "Đorđević", "jelena@kcb.rs", department="Muzika"),
        Employee(2, "Søren", "Ærø", "soren@kcb.rs", department="Muzika"),
        Employee(3, "Petar", "Petrović", "petar@kcb.rs", department="Finansije"),
    )
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["sr", "en", "sl"])
    connector_id = _connect(coordinator, vendor, programme_id, role="mentor", departments=["Muzika"], languages=["sr"])
    ana = participant_service.enrol(
        world.storage,
        tenant_id=coordinator.tenant_id,
        programme_id=programme_id,
        profile=Profile(role=Role.MENTEE, email="ana@example.si", name="Ana Novak", language="sl", languages=["sr"]),
        clock=world.clock,
        notifier=world.container.notifier,
    )

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        vendor.install(mock)
        first = _sync(coordinator, connector_id)
        again = _sync(coordinator, connector_id)

        run = matching.run_matching(
            world.storage, world.container.notifier, world.clock, coordinator.tenant_id, programme_id, dry_run=False
        )
        (proposal,) = run.proposals
        pair = matching.approve(
            world.storage, world.container.notifier, world.clock, coordinator.tenant_id, programme_id, proposal.pair_id
        )
        leaver = next(
            e
            for e in vendor.employees.values()
            if e.email and participant_id_for(coordinator.tenant_id, programme_id, e.email) == pair.mentor_id
        )

        # WHEN the mentor leaves the organisation and the connector syncs again
        world.clock.advance(timedelta(days=1))
        vendor.change(leaver.number, world.clock.now(), termination="2026-09-01")
        last = _sync(coordinator, connector_id)

    # THEN the first sync enrolled the two mentors of Muzika only, the second wrote nothing,
    assert (first["enrolled"], first["out_of_scope"]) == (2, 1)
    assert _participant(world, coordinator.tenant_id, programme_id, "petar@kcb.rs") is None
    assert (again["enrolled"], again["updated"]) == (0, 0)
    assert again["unchanged"] + again["out_of_scope"] == again["read"]
    # and the leaver is withdrawn, the pair ended early, and Ana told in Slovenian and offered the other mentor
    assert last["withdrawn"] == 1
    assert _participant(world, coordinator.tenant_id, programme_id, leaver.email).status is ParticipantStatus.WITHDRAWN
    assert matching.get_pair(world.storage, coordinator.tenant_id, programme_id, pair.pair_id).status is (
        PairStatus.ENDED_EARLY
    )
    told = world.storage.messages.for_participant(coordinator.tenant_id, ana.participant_id)
    assert [m.language for m in told if m.template == "pair_ended"] == ["sl"]
    stored = world.storage.connectors.get(coordinator.tenant_id, connector_id)
    assert stored is not None
    assert stored.last_run is not None
    assert (stored.last_run.withdrawn, stored.last_run.error) == (1, None)


def test_a_vendor_failing_is_recorded_on_its_connector_and_answers_502_without_its_body(world: World) -> None:
    # GIVEN a Workday connector whose credential the vendor refuses (it answers its HTML sign-in page)
    vendor = VENDORS["workday"]()
    vendor.credentials = {"username": "ISU_Mentorflow", "password": "wrong"}
    coordinator = world.tenant()
    connector_id = _connect(coordinator, vendor, coordinator.programme())

    # WHEN a sync is asked for
    with responses.RequestsMock() as mock:
        vendor.install(mock)
        answer = coordinator.post(f"{V1}/connectors/{connector_id}/sync")

    # THEN the answer and the connector's last run name the refusal, and nothing of the page
    assert answer.status_code == 502
    assert answer.json_body["message"] == "Workday refused the credentials (401)"
    shown = coordinator.get(f"{V1}/connectors/{connector_id}").json_body
    assert shown["last_run"]["error"] == "Workday refused the credentials (401)"
    assert "wrong" not in str(shown)


def test_the_nightly_job_runs_every_tenant_and_one_vendor_failing_stops_no_other(world: World) -> None:
    # GIVEN two tenants: one whose BambooHR answers 503 forever, one with a healthy HiBob
    broken, healthy = VENDORS["bamboohr"](), VENDORS["hibob"]()
    healthy.hire(Employee(1, "Ona", "Čiurlionytė", "ona@kcb.lt"))
    first, second = world.tenant("Prvi"), world.tenant("Antras")
    _connect(first, broken, first.programme())
    second_programme = second.programme()
    _connect(second, healthy, second_programme)

    # WHEN the nightly sync runs (without waiting between retries)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, f"{FakeBambooHR.BASE}/reports/custom", status=503)
        healthy.install(mock)
        counts = sync_service.sync_all(
            world.storage,
            world.container.notifier,
            world.clock,
            tools=sync_service.SyncTools(http=lambda: VendorHttp(sleep=lambda _s: None)),
        )

    # THEN the broken tenant's failure is counted and kept, and the other tenant's person is enrolled
    assert counts == {"connectors": 2, "synced": 1, "failed": 1}
    assert _participant(world, second.tenant_id, second_programme, "ona@kcb.lt") is not None
    (kept,) = world.storage.connectors.list(first.tenant_id)
    assert kept.last_run is not None
    assert kept.last_run.error == "BambooHR answered 503"


def test_a_connector_scope_naming_another_tenants_programme_is_refused(world: World) -> None:
    # GIVEN two tenants
    mine, theirs = world.tenant("Moj"), world.tenant("Njihov")
    vendor = VENDORS["bamboohr"]()

    # WHEN one connects a connector scoped to the other's programme
    answer = mine.post(
        f"{V1}/connectors",
        {
            "vendor": "bamboohr",
            "credentials": {"store": "ssm", "name": "/mentorflow/local/hr"},
            "settings": vendor.settings,
            "mapping": vendor.mapping,
            "scopes": [{"programme_id": theirs.programme()}],
        },
    )

    # THEN it is refused as a bad request
    assert answer.status_code == 400


@pytest.mark.parametrize(
    ("store", "name"),
    [("ssm", "/kcb/hr/bamboohr"), ("secretsmanager", "mentorflow/prod/kcb"), ("ssm", "mentorflow/local/kcb")],
)
def test_a_connector_naming_a_credential_outside_the_stages_prefix_is_refused(
    world: World, store: str, name: str
) -> None:
    # GIVEN a tenant with a programme, on the local stage
    coordinator = world.tenant()
    programme_id = coordinator.programme()
    vendor = VENDORS["bamboohr"]()

    # WHEN it connects a vendor whose credential lives where the stage may not read
    answer = coordinator.post(
        f"{V1}/connectors",
        {
            "vendor": "bamboohr",
            "credentials": {"store": store, "name": name},
            "settings": vendor.settings,
            "mapping": vendor.mapping,
            "scopes": [{"programme_id": programme_id}],
        },
    )

    # THEN it is refused, saying where credentials belong, and no connector is kept
    assert answer.status_code == 400
    prefix = "/mentorflow/local/" if store == "ssm" else "mentorflow/local/"
    assert answer.json_body["message"].startswith(
        f"body: credentials.name: a {store} credential must be named under {prefix}"
    )
    assert coordinator.get(f"{V1}/connectors").json_body["items"] == []


@pytest.fixture
def inviting_world(storage: Storage) -> Iterator[World]:
    """A deployment that can send invitations: link keys and the public address links point to."""
    settings = Settings(link_keys=TEST_LINK_KEYS, public_base_url="https://mentorflow.example.org")
    with mock_aws(), world_with(storage, settings=settings) as built:
        yield built


def test_the_invitation_sweep_job_reminds_a_silent_new_hire_once_and_closes_her_invitation_at_thirty_days(
    inviting_world: World,
) -> None:
    # GIVEN a new hire invited by a programme that asks synced people first
    world = inviting_world
    vendor = VENDORS["bamboohr"]()
    vendor.hire(Employee(1, "Milica", "Jovanović", "milica@kcb.rs", department="Muzika"))
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["sr", "en"])
    connector_id = _connect(coordinator, vendor, programme_id, consent="invitation", languages=["sr"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        vendor.install(mock)
        assert _sync(coordinator, connector_id)["invited"] == 1
    milica = _participant(world, coordinator.tenant_id, programme_id, "milica@kcb.rs")

    # WHEN the sweep job runs twice on day 14 and twice on day 30
    world.clock.advance(timedelta(days=14))
    reminders = [run_job("sweep-sync-invitations", world.container)["reminded"] for _ in range(2)]
    world.clock.advance(timedelta(days=16))
    expiries = [run_job("sweep-sync-invitations", world.container)["expired"] for _ in range(2)]

    # THEN one reminder went, and then her invitation closed: she is not enrolled and the connector counts it
    assert (reminders, expiries) == ([1, 0], [1, 0])
    sent = world.storage.messages.for_participant(coordinator.tenant_id, milica.participant_id)
    assert sorted(m.template for m in sent) == ["sync_invitation", "sync_invitation_reminder"]
    assert _participant(world, coordinator.tenant_id, programme_id, "milica@kcb.rs") is None
    connector = coordinator.get(f"{V1}/connectors/{connector_id}").json_body
    assert (connector["invitations_reminded"], connector["invitations_expired"]) == (1, 1)


@pytest.mark.parametrize("vendor_name", sorted(VENDORS))
def test_each_vendor_carries_a_changed_work_e_mail_over_to_the_same_participant(world: World, vendor_name: str) -> None:
    # GIVEN a synced mentor
    vendor = VENDORS[vendor_name]()
    vendor.hire(Employee(1, "Jelena", "Đorđević", "jelena@kcb.rs", department="Muzika"))
    coordinator = world.tenant()
    programme_id = coordinator.programme(languages=["sr", "en"])
    connector_id = _connect(coordinator, vendor, programme_id, role="mentor", languages=["sr"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        vendor.install(mock)
        _sync(coordinator, connector_id)
        jelena = _participant(world, coordinator.tenant_id, programme_id, "jelena@kcb.rs")

        # WHEN her work e-mail changes in the vendor and the connector syncs
        world.clock.advance(timedelta(days=1))
        vendor.change(1, world.clock.now(), email="jelena.djordjevic@kcb.rs")
        figures = _sync(coordinator, connector_id)

    # THEN the same participant has the new address, and nobody was enrolled
    assert (figures["enrolled"], figures["updated"]) == (0, 1)
    moved = world.storage.participants.get(coordinator.tenant_id, programme_id, jelena.participant_id)
    assert moved is not None
    assert (moved.profile.email, moved.status) == ("jelena.djordjevic@kcb.rs", jelena.status)
    assert world.storage.participants.list(coordinator.tenant_id, programme_id).items == [moved]
