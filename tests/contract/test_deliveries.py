"""Contract of DeliveryRepository: idempotent intake, per-endpoint listing and the retry sweep's state index."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.webhook import DeliveryState
from chalicelib.errors import VersionConflict
from tests.support.builders import BELGRADE, VILNIUS, at, delivery
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage

RETRYING = DeliveryState.RETRYING


def test_an_added_delivery_reads_back_with_raw_bytes_and_every_field(storage: Storage) -> None:
    # GIVEN a delivery whose body is not valid UTF-8, with headers, a result and local times
    new = delivery(
        "ep_1",
        "dlv_1",
        source="jotform",
        state=RETRYING,
        content_type="multipart/form-data; boundary=x",
        body=b"\x00\xff\xfe name=\xc4\x90or\xc4\x91evi\xc4\x87 \x80",
        headers={"X-Signature": "sha256=abc", "Content-Type": "multipart/form-data"},
        query={"token": "Ærø"},
        attempts=2,
        last_error="Timeout – pokušaj ponovo",
        next_attempt_at=at(30).astimezone(BELGRADE),
        result={"participant_id": "par_1", "score": 7.5, "count": 3, "ok": False, "names": ["Čiurlionytė"]},
        received_at=at(0),
        updated_at=at(1).astimezone(VILNIUS),
        expires_at=at(14 * 24 * 60).astimezone(BELGRADE),
    )

    # WHEN it is added and read back
    added = storage.deliveries.add(new)
    stored = storage.deliveries.get("ep_1", "dlv_1")

    # THEN it was stored now, at version 1, exactly as given
    assert added is True
    assert stored is not None
    assert differences(new.model_copy(update={"version": 1}), stored) == []
    assert stored.body == new.body


def test_an_empty_or_missing_body_reads_back_as_given(storage: Storage) -> None:
    # GIVEN deliveries with an empty body and with none
    storage.deliveries.add(delivery("ep_1", "dlv_empty", body=b""))
    storage.deliveries.add(delivery("ep_1", "dlv_none", body=None))

    # WHEN they are read back
    empty = storage.deliveries.get("ep_1", "dlv_empty")
    missing = storage.deliveries.get("ep_1", "dlv_none")

    # THEN the empty body is empty bytes and the missing one None
    assert empty is not None
    assert missing is not None
    assert (empty.body, missing.body) == (b"", None)


def test_adding_the_same_delivery_twice_stores_it_once(storage: Storage) -> None:
    # GIVEN a delivery that was added
    assert storage.deliveries.add(delivery("ep_1", "dlv_1", body=b"first")) is True

    # WHEN the vendor sends it again (same endpoint and delivery id)
    again = storage.deliveries.add(delivery("ep_1", "dlv_1", body=b"second"))

    # THEN the second add reports a repeat and the first stays as stored
    assert again is False
    stored = storage.deliveries.get("ep_1", "dlv_1")
    assert stored is not None
    assert (stored.body, stored.version) == (b"first", 1)
    assert storage.deliveries.add(delivery("ep_2", "dlv_1")) is True


def test_stale_save_of_a_delivery_is_rejected_and_keeps_the_newer_record(storage: Storage) -> None:
    # GIVEN a delivery that two workers picked up
    storage.deliveries.add(delivery("ep_1", "dlv_1"))
    first = storage.deliveries.get("ep_1", "dlv_1")
    second = storage.deliveries.get("ep_1", "dlv_1")
    assert first is not None
    assert second is not None

    # WHEN the first finishes it and the second, late, schedules a retry
    first.state = DeliveryState.DONE
    first.result = {"participant_id": "par_1"}
    done = storage.deliveries.save(first)
    second.state = RETRYING
    second.next_attempt_at = at(10)
    with pytest.raises(VersionConflict):
        storage.deliveries.save(second)

    # THEN it stays done and is not swept for retry
    stored = storage.deliveries.get("ep_1", "dlv_1")
    assert stored is not None
    assert differences(done, stored) == []
    assert storage.deliveries.by_state(RETRYING) == []


def test_deliveries_in_a_state_come_from_every_endpoint_oldest_due_first(storage: Storage) -> None:
    # GIVEN retrying deliveries of two tenants' endpoints, due at various times, and others not retrying
    storage.deliveries.add(delivery("ep_b", "dlv_3", tenant_id="ten_b", state=RETRYING, next_attempt_at=at(30)))
    storage.deliveries.add(delivery("ep_a", "dlv_2", state=RETRYING, next_attempt_at=at(10).astimezone(VILNIUS)))
    storage.deliveries.add(delivery("ep_a", "dlv_1", state=RETRYING, updated_at=at(20)))
    storage.deliveries.add(delivery("ep_a", "dlv_4", state=RETRYING, next_attempt_at=at(40)))
    storage.deliveries.add(delivery("ep_a", "dlv_dead", state=DeliveryState.DEAD, updated_at=at(5)))
    storage.deliveries.add(delivery("ep_a", "dlv_new"))

    # WHEN the sweep asks for retrying deliveries due by minute 30
    due = storage.deliveries.by_state(RETRYING, due_before=at(30))

    # THEN those due by then come, ordered by next attempt (else last update), tenant regardless
    assert [d.delivery_id for d in due] == ["dlv_2", "dlv_1", "dlv_3"]
    assert [d.delivery_id for d in storage.deliveries.by_state(RETRYING, limit=2)] == ["dlv_2", "dlv_1"]
    assert [d.delivery_id for d in storage.deliveries.by_state(DeliveryState.DEAD)] == ["dlv_dead"]
    assert [d.delivery_id for d in storage.deliveries.by_state(DeliveryState.RECEIVED)] == ["dlv_new"]


def test_deliveries_in_states_nobody_sweeps_are_not_listed_by_state(storage: Storage) -> None:
    # GIVEN a done and an ignored delivery
    storage.deliveries.add(delivery("ep_1", "dlv_2", state=DeliveryState.DONE))
    storage.deliveries.add(delivery("ep_1", "dlv_3", state=DeliveryState.IGNORED))

    # WHEN they are asked for by state
    # THEN neither is listed that way
    for state in (DeliveryState.DONE, DeliveryState.IGNORED):
        assert storage.deliveries.by_state(state) == []


def test_a_delivery_that_becomes_done_leaves_the_state_list(storage: Storage) -> None:
    # GIVEN a delivery waiting for a retry
    storage.deliveries.add(delivery("ep_1", "dlv_1", state=RETRYING, next_attempt_at=at(5)))
    waiting = storage.deliveries.by_state(RETRYING)
    assert [d.delivery_id for d in waiting] == ["dlv_1"]

    # WHEN the retry succeeds
    retried = waiting[0]
    retried.state = DeliveryState.DONE
    retried.attempts += 1
    storage.deliveries.save(retried)

    # THEN it is no longer listed as retrying, but is still the endpoint's
    assert storage.deliveries.by_state(RETRYING) == []
    assert [(d.delivery_id, d.state) for d in storage.deliveries.for_endpoint("ep_1")] == [
        ("dlv_1", DeliveryState.DONE)
    ]


def test_deliveries_of_an_endpoint_are_listed_by_id_filtered_by_state_and_limited(storage: Storage) -> None:
    # GIVEN deliveries of two endpoints
    storage.deliveries.add(delivery("ep_1", "dlv_c", state=DeliveryState.NEEDS_ATTENTION))
    storage.deliveries.add(delivery("ep_1", "dlv_a"))
    storage.deliveries.add(delivery("ep_1", "dlv_b", state=DeliveryState.NEEDS_ATTENTION))
    storage.deliveries.add(delivery("ep_1", "dlv_d", state=DeliveryState.NEEDS_ATTENTION))
    storage.deliveries.add(delivery("ep_2", "dlv_e", state=DeliveryState.NEEDS_ATTENTION))

    # WHEN the first endpoint's deliveries are listed
    every = storage.deliveries.for_endpoint("ep_1")
    attention = storage.deliveries.for_endpoint("ep_1", state=DeliveryState.NEEDS_ATTENTION, limit=2)

    # THEN only its own come, by id, filtered and cut to the limit
    assert [d.delivery_id for d in every] == ["dlv_a", "dlv_b", "dlv_c", "dlv_d"]
    assert [d.delivery_id for d in attention] == ["dlv_b", "dlv_c"]
    assert storage.deliveries.get("ep_2", "dlv_a") is None


def test_a_one_megabyte_text_body_is_stored_whole(storage: Storage) -> None:
    # GIVEN a form submission with one very long answer (over DynamoDB's 400 KB item limit uncompressed)
    answer = "Norėčiau išmokti vadovauti komandai. " * 28_000
    body = ('{"answers": [{"id": "goals", "value": "' + answer + '"}]}').encode()
    assert len(body) > 1_000_000

    # WHEN it is recorded
    added = storage.deliveries.add(delivery("ep_1", "d_big", body=body))

    # THEN it reads back byte for byte
    stored = storage.deliveries.get("ep_1", "d_big")
    assert added is True
    assert stored is not None
    assert stored.body == body
