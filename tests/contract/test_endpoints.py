"""Contract of EndpointRepository: webhook endpoints by id and per tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.forms.mapping import FieldMapping, FieldRule, Question
from chalicelib.domain.webhook import EndpointSecret
from chalicelib.errors import VersionConflict
from tests.support.builders import BELGRADE, at, endpoint
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def test_a_saved_endpoint_reads_back_with_its_secrets_and_mapping(storage: Storage) -> None:
    # GIVEN an endpoint mid-rotation with a free-form field mapping
    new = endpoint(
        "ten_a",
        "ep_1",
        source="tally",
        description="Prijava – Đorđević",
        secrets=[
            EndpointSecret(value="whsec_new", created_at=at(10)),
            EndpointSecret(value="whsec_old", created_at=at(0), expires_at=at(1440).astimezone(BELGRADE)),
        ],
        field_mapping=FieldMapping(
            description="Prijava – Đorđević",
            role=FieldRule(constant="mentee"),
            email=FieldRule(label="E-pošta", required=True),
            name=FieldRule(parts=[Question(id="first"), Question(id="last")]),
            languages=FieldRule(constant=["sr", "lt"]),
            capacity=FieldRule(constant=2),
            tags=FieldRule(hidden="ciljevi", separator=";", choices={"Vođenje": "leadership", "Ærø": "islands"}),
            consent=FieldRule(ref="samtykke", required=True),
            consent_text_version="2025-01",
        ),
    )

    # WHEN it is saved and read back by id
    storage.endpoints.save(new)
    stored = storage.endpoints.get("ep_1")

    # THEN it is exactly what was saved
    assert stored is not None
    assert differences(new.model_copy(update={"version": 1}), stored) == []


def test_endpoints_are_listed_per_tenant_in_id_order(storage: Storage) -> None:
    # GIVEN endpoints of two tenants
    storage.endpoints.save(endpoint("ten_a", "ep_b"))
    storage.endpoints.save(endpoint("ten_a", "ep_a"))
    storage.endpoints.save(endpoint("ten_b", "ep_c"))

    # WHEN each tenant lists its endpoints
    # THEN each sees only its own, by id
    assert [e.endpoint_id for e in storage.endpoints.list("ten_a")] == ["ep_a", "ep_b"]
    assert [e.endpoint_id for e in storage.endpoints.list("ten_b")] == ["ep_c"]
    assert storage.endpoints.list("ten_c") == []


def test_a_deleted_endpoint_is_gone_from_get_and_list(storage: Storage) -> None:
    # GIVEN two endpoints
    gone = storage.endpoints.save(endpoint("ten_a", "ep_1"))
    storage.endpoints.save(endpoint("ten_a", "ep_2"))

    # WHEN one is deleted
    storage.endpoints.delete(gone)

    # THEN it is not found any more; the other is
    assert storage.endpoints.get("ep_1") is None
    assert [e.endpoint_id for e in storage.endpoints.list("ten_a")] == ["ep_2"]


def test_stale_save_of_an_endpoint_is_rejected_and_keeps_the_newer_record(storage: Storage) -> None:
    # GIVEN an endpoint read twice
    stored = storage.endpoints.save(endpoint("ten_a", "ep_1"))
    stale = stored.model_copy(deep=True)

    # WHEN its secret is rotated, then the stale copy's description is saved
    stored.rotate("whsec_rotated", at=at(5), grace=at(65) - at(5))
    rotated = storage.endpoints.save(stored)
    stale.description = "Stale"
    with pytest.raises(VersionConflict):
        storage.endpoints.save(stale)

    # THEN the rotation stands
    found = storage.endpoints.get("ep_1")
    assert found is not None
    assert differences(rotated, found) == []
    assert found.valid_secrets(at(6)) == ["whsec_rotated"]
