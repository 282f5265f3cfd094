"""Contract of TenantRepository: tenants and their API keys, on every backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.errors import Conflict, VersionConflict
from tests.support.builders import VILNIUS, api_key, at, tenant
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def test_an_added_tenant_reads_back_with_every_field_at_version_one(storage: Storage) -> None:
    # GIVEN a tenant with a name outside ASCII and a local, non-UTC creation time
    new = tenant("ten_a", name="Søren Ærø ApS", created_at=at(5).astimezone(VILNIUS))

    # WHEN it is added
    added = storage.tenants.add(new)

    # THEN the stored tenant equals the added one exactly, at version 1
    stored = storage.tenants.get("ten_a")
    assert stored is not None
    assert added.version == 1
    assert differences(added, stored) == []
    assert differences(new.model_copy(update={"version": 1}), stored) == []


def test_adding_a_tenant_whose_id_exists_is_a_conflict_and_keeps_the_first(storage: Storage) -> None:
    # GIVEN a stored tenant
    storage.tenants.add(tenant("ten_a", name="Đorđević d.o.o."))

    # WHEN another tenant with the same id is added
    with pytest.raises(Conflict) as raised:
        storage.tenants.add(tenant("ten_a", name="Impostor"))

    # THEN it is a uniqueness conflict (not a version race), and the first tenant is unchanged
    assert not isinstance(raised.value, VersionConflict)
    stored = storage.tenants.get("ten_a")
    assert stored is not None
    assert stored.name == "Đorđević d.o.o."


def test_an_unknown_tenant_or_key_hash_reads_as_none(storage: Storage) -> None:
    # GIVEN an empty store
    # WHEN unknown records are read
    # THEN nothing is found
    assert storage.tenants.get("ten_missing") is None
    assert storage.tenants.key_by_hash("0" * 64) is None
    assert storage.tenants.list_keys("ten_missing") == []


def test_an_api_key_is_found_by_its_hash_and_listed_only_under_its_tenant(storage: Storage) -> None:
    # GIVEN two keys of tenant A (added out of order) and one of tenant B
    key_a2 = storage.tenants.add_key(api_key("ten_a", "key_a2", name="Čiurlionytė's key"))
    key_a1 = storage.tenants.add_key(api_key("ten_a", "key_a1"))
    key_b1 = storage.tenants.add_key(api_key("ten_b", "key_b1"))

    # WHEN keys are looked up and listed
    found = storage.tenants.key_by_hash(key_a2.key_hash)
    listed_a = storage.tenants.list_keys("ten_a")
    listed_b = storage.tenants.list_keys("ten_b")

    # THEN the hash finds the exact key, and each tenant lists only its own keys, by key id
    assert found is not None
    assert differences(key_a2, found) == []
    assert [k.key_id for k in listed_a] == ["key_a1", "key_a2"]
    assert differences(key_a1, listed_a[0]) == []
    assert [k.key_id for k in listed_b] == [key_b1.key_id]


def test_adding_an_api_key_whose_hash_exists_is_a_conflict(storage: Storage) -> None:
    # GIVEN a stored key
    first = storage.tenants.add_key(api_key("ten_a", "key_1"))

    # WHEN a key with the same hash is added, even for another tenant
    with pytest.raises(Conflict) as raised:
        storage.tenants.add_key(api_key("ten_b", "key_2", key_hash=first.key_hash))

    # THEN it is refused and the first key still owns the hash
    assert not isinstance(raised.value, VersionConflict)
    stored = storage.tenants.key_by_hash(first.key_hash)
    assert stored is not None
    assert (stored.tenant_id, stored.key_id) == ("ten_a", "key_1")
    assert storage.tenants.list_keys("ten_b") == []


def test_stale_save_of_a_key_is_rejected_and_keeps_the_newer_record(storage: Storage) -> None:
    # GIVEN a key read by two admins
    added = storage.tenants.add_key(api_key("ten_a", "key_1"))
    first_copy = storage.tenants.key_by_hash(added.key_hash)
    second_copy = storage.tenants.key_by_hash(added.key_hash)
    assert first_copy is not None
    assert second_copy is not None

    # WHEN the first revokes it and the second, still holding the old version, renames it
    first_copy.revoked_at = at(10)
    revoked = storage.tenants.save_key(first_copy)
    second_copy.name = "Renamed"
    with pytest.raises(VersionConflict):
        storage.tenants.save_key(second_copy)

    # THEN the revocation stands
    stored = storage.tenants.key_by_hash(added.key_hash)
    assert stored is not None
    assert revoked.version == 2
    assert differences(revoked, stored) == []
    assert not stored.active


def test_a_tenants_sending_settings_are_saved_and_a_stale_save_is_refused(storage: Storage) -> None:
    # GIVEN a tenant
    added = storage.tenants.add(tenant("ten_a"))

    # WHEN its From address and rate are saved, then an old copy is saved again
    storage.tenants.save(
        added.model_copy(update={"sender_email": "mentorstvo@skupnost.example.si", "send_rate_per_second": 2.5})
    )

    # THEN the settings read back, and the stale copy is refused
    with pytest.raises(VersionConflict):
        storage.tenants.save(added.model_copy(update={"send_rate_per_second": 9.0}))
    stored = storage.tenants.get("ten_a")
    assert stored is not None
    assert (stored.sender_email, stored.send_rate_per_second) == ("mentorstvo@skupnost.example.si", 2.5)
