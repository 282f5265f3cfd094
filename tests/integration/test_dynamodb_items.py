"""What the DynamoDB repositories store, item by item, and how they treat DynamoDB's own errors."""

from __future__ import annotations

import json
import math
import zlib
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from chalicelib.domain.message import MessageState
from chalicelib.domain.pair import PairStatus
from chalicelib.domain.participant import ParticipantStatus
from chalicelib.domain.webhook import DeliveryState
from chalicelib.errors import ValidationFailed
from chalicelib.storage.deliveries import delivery_key
from chalicelib.storage.messages import message_key
from chalicelib.storage.pairs import pair_key
from chalicelib.storage.participants import participant_key
from chalicelib.storage.programmes import programme_key
from chalicelib.storage.repositories import dynamo_storage
from tests.support.builders import BELGRADE, at, delivery, message, pair, participant, programme

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

INDEX_ATTRIBUTES = {"GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"}


def _raw(table: Table, key: dict[str, str]) -> dict[str, Any]:
    item = table.get_item(Key=key, ConsistentRead=True).get("Item")
    assert item is not None
    return dict(item)


def test_a_delivery_item_holds_its_expiry_as_epoch_seconds_for_ttl_and_its_body_as_binary(table: Table) -> None:
    # GIVEN a delivery that expires half a second into a minute, Belgrade time
    expires = (at(60) + timedelta(milliseconds=500)).astimezone(BELGRADE)
    storage = dynamo_storage(table)

    # WHEN it is stored
    storage.deliveries.add(delivery("ep_1", "dlv_1", body=b"\x00\xff", expires_at=expires))

    # THEN the TTL attribute is a number of whole seconds not before the expiry, the exact time is
    # kept as text, the body is compressed binary, and the item says what it is
    item = _raw(table, delivery_key("ep_1", "dlv_1"))
    assert item["expires_at"] == Decimal(math.ceil(expires.timestamp()))
    assert item["expires_at_text"] == expires.isoformat()
    assert isinstance(item["body"], Binary)
    assert zlib.decompress(item["body"].value[1:]) == b"\x00\xff"
    assert item["entity_type"] == "delivery"


def test_free_form_values_are_json_text_and_typed_numbers_are_decimals(table: Table) -> None:
    # GIVEN a pair with a float score and free-form reasons
    storage = dynamo_storage(table)

    # WHEN it is stored
    storage.pairs.save(pair("ten_a", "prg_1", "pair_1", score=0.75, reasons=[{"points": 4.0}]))

    # THEN the score is a number and the reasons are the JSON text of what was given
    item = _raw(table, pair_key("ten_a", "prg_1", "pair_1"))
    assert item["score"] == Decimal("0.75")
    assert json.loads(item["reasons"]) == [{"points": 4.0}]
    assert item["created_at"] == at(0).isoformat()


def test_items_carry_index_attributes_only_while_they_must_be_found_that_way(table: Table) -> None:
    # GIVEN records in states that no index lists: a done delivery, a sent message to nobody in
    # particular, a closed pair and a programme without a matching date
    storage = dynamo_storage(table)
    storage.deliveries.add(delivery("ep_1", "dlv_1", state=DeliveryState.DONE))
    storage.messages.add(message("ten_a", "k:1", state=MessageState.SENT))
    storage.pairs.save(pair("ten_a", "prg_1", "pair_1", status=PairStatus.COMPLETED, next_due_at=at(5)))
    storage.programmes.save(programme("ten_a", "prg_1"))

    # WHEN their items are read
    items = [
        _raw(table, delivery_key("ep_1", "dlv_1")),
        _raw(table, message_key("ten_a", message("ten_a", "k:1").message_id)),
        _raw(table, pair_key("ten_a", "prg_1", "pair_1")),
        _raw(table, programme_key("ten_a", "prg_1")),
    ]

    # THEN none carries an index attribute
    assert [sorted(INDEX_ATTRIBUTES & set(item)) for item in items] == [[], [], [], []]


def test_a_participant_item_moves_to_its_new_status_and_email_partitions(table: Table) -> None:
    # GIVEN a stored applicant
    storage = dynamo_storage(table)
    stored = storage.participants.save(participant("ten_a", "prg_1", "par_1", email="old@example.org"))

    # WHEN they are accepted under a new e-mail
    stored.move_to(ParticipantStatus.ACCEPTED, at=at(1))
    stored.profile = stored.profile.model_copy(update={"email": "new@example.org"})
    storage.participants.save(stored)

    # THEN the item's index keys are those of the new status and e-mail
    item = _raw(table, participant_key("ten_a", "prg_1", "par_1"))
    assert item["GSI1PK"].endswith("#STATUS#accepted")
    assert item["GSI2PK"].endswith("#EMAIL#new@example.org")


def test_a_cursor_is_refused_by_a_listing_it_did_not_come_from(table: Table) -> None:
    # GIVEN a cursor from tenant A's participant listing
    storage = dynamo_storage(table)
    for number in range(3):
        storage.participants.save(participant("ten_a", "prg_1", f"par_{number}", email=f"p{number}@example.org"))
    cursor = storage.participants.list("ten_a", "prg_1", limit=1).next_cursor
    assert cursor is not None

    # WHEN it is passed to tenant B's listing, or to a listing by status
    # THEN both refuse it as invalid input
    with pytest.raises(ValidationFailed):
        storage.participants.list("ten_b", "prg_1", limit=1, cursor=cursor)
    with pytest.raises(ValidationFailed):
        storage.participants.list("ten_a", "prg_1", status=ParticipantStatus.APPLIED, limit=1, cursor=cursor)


def test_dynamodb_errors_other_than_a_failed_condition_reach_the_caller_unchanged(table: Table) -> None:
    # GIVEN repositories on a table name that does not exist on the same DynamoDB
    endpoint_url = table.meta.client.meta.endpoint_url
    resource = boto3.session.Session().resource("dynamodb", endpoint_url=endpoint_url)
    storage = dynamo_storage(resource.Table(f"{table.name}-missing"))

    # WHEN a record is saved or read there
    # THEN DynamoDB's own error comes through as the ClientError it is
    with pytest.raises(ClientError) as saving:
        storage.programmes.save(programme("ten_a", "prg_1", matching_date=date(2025, 3, 1)))
    with pytest.raises(ClientError) as reading:
        storage.programmes.get("ten_a", "prg_1")
    assert saving.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert reading.value.response["Error"]["Code"] == "ResourceNotFoundException"
