"""Contract of DeliveryBodyRepository: a body too large for its delivery's item, kept in parts."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from chalicelib.storage.delivery_bodies import PART_BYTES, split
from tests.support.builders import at

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def test_a_body_split_into_parts_reads_back_whole_and_is_deleted_whole(storage: Storage) -> None:
    # GIVEN a body of a little more than three parts that does not compress, split for two deliveries
    body = random.Random(3).randbytes(3 * PART_BYTES + 10)
    parts = split(body, tenant_id="ten_a", endpoint_id="ep_1", delivery_id="d_1", expires_at=at(60))
    storage.delivery_bodies.put(parts)
    other = split(b"other", tenant_id="ten_a", endpoint_id="ep_1", delivery_id="d_2", expires_at=None)
    storage.delivery_bodies.put(other)

    # WHEN it is read, then deleted
    read = storage.delivery_bodies.read("ep_1", "d_1")
    storage.delivery_bodies.delete("ep_1", "d_1")

    # THEN it read back byte for byte in four parts, and only its own parts went
    assert (len(parts), read) == (4, body)
    assert storage.delivery_bodies.read("ep_1", "d_1") is None
    assert storage.delivery_bodies.read("ep_1", "d_2") == b"other"
