"""Contract of SyncConnectorRepository and SyncedPersonRepository: connectors per tenant, fingerprints in batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.participant import Role
from chalicelib.domain.sync import (
    CredentialRef,
    FieldMap,
    ScopeRule,
    SecretStore,
    SyncConnector,
    SyncedClaim,
    SyncedPerson,
    SyncFigures,
    Vendor,
)
from chalicelib.errors import VersionConflict

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage

NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


def connector(tenant_id: str, connector_id: str, *, enabled: bool = True) -> SyncConnector:
    return SyncConnector(
        tenant_id=tenant_id,
        connector_id=connector_id,
        vendor=Vendor.BAMBOOHR,
        credentials=CredentialRef(store=SecretStore.SSM, name="/mentorflow/bamboohr/api-key"),
        settings={"subdomain": "kulturnicentar"},
        mapping=FieldMap(email="workEmail", department="department", manager_email="supervisorEmail"),
        scopes=[ScopeRule(programme_id="prg_onboarding", role=Role.MENTEE, departments=["Umetnost"])],
        enabled=enabled,
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_saved_connector_reads_back_with_its_mapping_scopes_and_figures(storage: Storage) -> None:
    # GIVEN a connector that has run once
    new = connector("ten_a", "con_1")
    new.cursor = "2026-09-01T02:00:00Z"
    new.last_run = SyncFigures(started_at=NOW, read=12, enrolled=3, skipped={"no work e-mail": 1})

    # WHEN it is saved and read back
    saved = storage.connectors.save(new)

    # THEN it is the same connector, at version 1
    assert storage.connectors.get("ten_a", "con_1") == saved
    assert saved.version == 1


def test_a_stale_connector_write_is_refused(storage: Storage) -> None:
    # GIVEN a connector saved twice from the same read
    first = storage.connectors.save(connector("ten_a", "con_1"))
    storage.connectors.save(first)

    # WHEN / THEN the second write of the old version is a conflict
    with pytest.raises(VersionConflict):
        storage.connectors.save(first)


def test_connectors_are_listed_per_tenant_and_only_enabled_ones_for_the_nightly_sync(storage: Storage) -> None:
    # GIVEN connectors of two tenants, one of them paused
    storage.connectors.save(connector("ten_a", "con_1"))
    storage.connectors.save(connector("ten_a", "con_2", enabled=False))
    storage.connectors.save(connector("ten_b", "con_3"))

    # WHEN they are listed
    of_a = [c.connector_id for c in storage.connectors.list("ten_a")]
    enabled = [c.connector_id for c in storage.connectors.enabled()]

    # THEN each tenant sees its own, and the nightly sync every enabled one
    assert of_a == ["con_1", "con_2"]
    assert enabled == ["con_1", "con_3"]


def test_fingerprints_are_written_in_batches_and_forgotten_with_their_connector(storage: Storage) -> None:
    # GIVEN sixty fingerprints, more than one batch
    people = [
        SyncedPerson(
            tenant_id="ten_a",
            connector_id="con_1",
            external_id=f"emp-{n:03d}",
            fields_hash=f"hash-{n}",
            participants={"prg_onboarding": f"par_{n}"},
            synced_at=NOW,
            expires_at=NOW + timedelta(days=400),
        )
        for n in range(60)
    ]

    # WHEN they are written, then the connector's fingerprints are forgotten
    written = storage.synced_people.put_many(people)
    read_back = storage.synced_people.get("ten_a", "con_1", "emp-007")
    listed = len(storage.synced_people.list("ten_a", "con_1"))
    storage.synced_people.delete_all("ten_a", "con_1")

    # THEN all were stored, read back alike, and none is left
    assert written == 60
    assert listed == 60
    assert read_back is not None
    assert read_back.fields_hash == "hash-7"
    assert storage.synced_people.list("ten_a", "con_1") == []


def test_claims_name_each_participants_employee_and_are_forgotten_with_their_connector(storage: Storage) -> None:
    # GIVEN claims of two connectors, and a fingerprint beside them
    storage.synced_people.claim_many(
        SyncedClaim(
            tenant_id="ten_a",
            connector_id=connector_id,
            participant_id=f"par_{n}",
            external_id=f"emp-{n}",
            expires_at=NOW + timedelta(days=400),
        )
        for connector_id in ("con_1", "con_2")
        for n in range(30)
    )
    storage.synced_people.put_many(
        [
            SyncedPerson(
                tenant_id="ten_a",
                connector_id="con_1",
                external_id="emp-1",
                fields_hash="hash-1",
                participants={"prg_onboarding": "par_1"},
                synced_at=NOW,
                expires_at=NOW + timedelta(days=400),
            )
        ]
    )

    # WHEN owners are asked for, and the first connector is forgotten
    owners = storage.synced_people.owners("ten_a", "con_1", ["par_3", "par_unknown", "par_3"])
    listed = storage.synced_people.list("ten_a", "con_1")
    storage.synced_people.delete_all("ten_a", "con_1")

    # THEN each claimed participant names its employee, fingerprints never list a claim, and only con_1 forgets
    assert owners == {"par_3": "emp-3"}
    assert [p.external_id for p in listed] == ["emp-1"]
    assert storage.synced_people.owners("ten_a", "con_1", ["par_3"]) == {}
    assert storage.synced_people.owners("ten_a", "con_2", ["par_3"]) == {"par_3": "emp-3"}


def test_an_erased_participant_s_claims_are_deleted_and_others_kept(storage: Storage) -> None:
    # GIVEN two participants claimed by their employees under one connector
    storage.synced_people.claim_many(
        SyncedClaim(
            tenant_id="ten_a",
            connector_id="con_1",
            participant_id=participant_id,
            external_id=f"emp-{participant_id}",
            expires_at=NOW + timedelta(days=400),
        )
        for participant_id in ("par_erased", "par_kept")
    )

    # WHEN the first one's claims are deleted, once and again
    first = storage.synced_people.unclaim("ten_a", "con_1", ["par_erased", "par_unknown"])
    again = storage.synced_people.unclaim("ten_a", "con_1", ["par_erased"])

    # THEN only the erased participant's claim went, and a second deletion finds nothing
    assert (first, again) == (1, 0)
    owners = storage.synced_people.owners("ten_a", "con_1", ["par_erased", "par_kept"])
    assert owners == {"par_kept": "emp-par_kept"}
