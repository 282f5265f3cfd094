"""Contract of DeliveryRepository.from_person: a tenant's deliveries found by their sender's keyed hash."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.builders import delivery

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage

LAURA = "a" * 64
SOREN = "b" * 64


def test_deliveries_are_found_by_their_sender_s_hash_within_one_tenant_only(storage: Storage) -> None:
    # GIVEN Laura's deliveries on two endpoints, Søren's, one not yet read, and another tenant's with her hash
    storage.deliveries.add(delivery("ep_1", "d1", person=LAURA))
    storage.deliveries.add(delivery("ep_2", "d2", person=LAURA))
    storage.deliveries.add(delivery("ep_1", "d3", person=SOREN))
    storage.deliveries.add(delivery("ep_1", "d4"))
    storage.deliveries.add(delivery("ep_9", "d5", tenant_id="ten_b", person=LAURA))

    # WHEN her deliveries are asked for, and after one is deleted
    found = storage.deliveries.from_person("ten_a", LAURA)
    first = storage.deliveries.get("ep_1", "d1")
    assert first is not None
    storage.deliveries.delete(first)
    after = storage.deliveries.from_person("ten_a", LAURA)

    # THEN exactly hers in the tenant come back, with their bodies, and a deleted one no more
    assert [(d.endpoint_id, d.delivery_id) for d in found] == [("ep_1", "d1"), ("ep_2", "d2")]
    assert all(d.body == b'{"ok": true}' for d in found)
    assert [(d.endpoint_id, d.delivery_id) for d in after] == [("ep_2", "d2")]
