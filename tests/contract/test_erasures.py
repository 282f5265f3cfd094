"""Contract of ErasureRepository: tombstones by subject hash, newest erasure kept, listed per tenant."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.erasure import Erasure, erasure_subject
from tests.support.builders import at

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage

KEY = b"contract-key"


def test_a_tombstone_is_found_by_its_subject_and_a_second_erasure_replaces_it(storage: Storage) -> None:
    # GIVEN an erasure of one address in one tenant
    subject = erasure_subject(KEY, "ten_a", "Ona@Example.LT")
    storage.erasures.record(Erasure(tenant_id="ten_a", subject=subject, erased_by="cli", erased_at=at(0)))

    # WHEN the same address is erased again, with counts
    storage.erasures.record(
        Erasure(tenant_id="ten_a", subject=subject, erased_by="api key k", erased_at=at(5), items={"participants": 1})
    )

    # THEN the newest erasure is what is found, under the normalised address's subject, in that tenant only
    found = storage.erasures.get("ten_a", erasure_subject(KEY, "ten_a", " ona@example.lt "))
    assert found is not None
    assert (found.erased_by, found.erased_at, found.items) == ("api key k", at(5), {"participants": 1})
    assert storage.erasures.get("ten_b", subject) is None
    assert [e.subject for e in storage.erasures.list("ten_a")] == [subject]
    assert storage.erasures.list("ten_b") == []
