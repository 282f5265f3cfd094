"""Translation between domain entities and DynamoDB items (boto3 resource format).

This module decides what an item looks like: which key attributes it carries (from
``chalicelib.storage.keys`` only), how values are typed, and how an item is read back
into the entity. It does no I/O; ``chalicelib.storage.dynamodb`` does that.

Item layout
-----------
* ``PK``/``SK`` always; ``GSI1PK``/``GSI1SK`` and ``GSI2PK``/``GSI2SK`` only while the
  entity must be found through that index (sparse), so a ``put_item`` of the new state
  is what takes an item out of an index.
* ``entity_type`` names the model, so an item can be read without knowing where it came from.
* Datetimes and dates are ISO-8601 text with their UTC offset; floats are ``Decimal``;
  ``bytes`` are zlib-compressed ``Binary``; enums are their value.
* Fields typed ``Any`` (vendor payloads, match reasons, field mappings) are JSON text:
  DynamoDB numbers lose the int/float distinction and cannot hold every JSON value, and
  these fields are never queried, so text is the one exact round trip.
* A matching run is one head item (``RunHead``: the run's summary) plus ``RunPart`` items
  holding its per-person lists in slices, because a 20,000-person cohort's lists are
  far beyond DynamoDB's 400 KB item limit. Both models exist for storage only.
* An entity field named like the table's TTL attribute (``expires_at``) is written twice:
  as epoch seconds under that name for DynamoDB's TTL, and as ISO text under
  ``expires_at_text``, which is what is read back.
"""

from __future__ import annotations

import json
import math
import zlib
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from boto3.dynamodb.types import Binary
from pydantic import Field

from chalicelib.domain.common import DomainModel
from chalicelib.domain.matching_run import MatchingLease, MatchRunSummary
from chalicelib.domain.message import Message, MessageState
from chalicelib.domain.pair import OPEN_PAIR_STATUSES, Meeting, Pair
from chalicelib.domain.participant import Participant
from chalicelib.domain.programme import Programme
from chalicelib.domain.tenant import ApiKey, Tenant
from chalicelib.domain.webhook import Delivery, DeliveryState, WebhookEndpoint
from chalicelib.errors import ValidationFailed
from chalicelib.storage import keys
from chalicelib.storage.table import TTL_ATTRIBUTE

if TYPE_CHECKING:
    from collections.abc import Mapping

E = TypeVar("E", bound=DomainModel)

PK = "PK"
SK = "SK"
GSI1PK = "GSI1PK"
GSI1SK = "GSI1SK"
GSI2PK = "GSI2PK"
GSI2SK = "GSI2SK"
ENTITY_TYPE = "entity_type"
VERSION = "version"
EXPIRES_AT_TEXT = f"{TTL_ATTRIBUTE}_text"

# Only these states are swept for work; a delivery or message in any other state leaves the index.
LISTABLE_DELIVERY_STATES = frozenset(
    {DeliveryState.RECEIVED, DeliveryState.RETRYING, DeliveryState.DEAD, DeliveryState.NEEDS_ATTENTION}
)
LISTABLE_MESSAGE_STATES = frozenset({MessageState.PENDING, MessageState.FAILED})


class RunHead(DomainModel):
    """The item that stands for a matching run: its summary, plus how many ``RunPart`` items hold the rest."""

    summary: MatchRunSummary
    mentee_ids: list[str] = Field(default_factory=list)
    parts: int = Field(ge=0)


class RunPart(DomainModel):
    """One slice of a run's unmatched people and proposed pair ids, in run order."""

    tenant_id: str
    programme_id: str
    run_id: str
    index: int = Field(ge=0)
    unmatched: list[dict[str, Any]] = Field(default_factory=list)
    pair_ids: list[str] = Field(default_factory=list)


_MODELS: dict[str, type[DomainModel]] = {
    "tenant": Tenant,
    "api_key": ApiKey,
    "programme": Programme,
    "participant": Participant,
    "pair": Pair,
    "meeting": Meeting,
    "webhook_endpoint": WebhookEndpoint,
    "delivery": Delivery,
    "message": Message,
    "match_run": RunHead,
    "match_run_part": RunPart,
    "matching_lease": MatchingLease,
}
_ENTITY_TYPES: dict[type[DomainModel], str] = {model: name for name, model in _MODELS.items()}
_STORAGE_ATTRIBUTES = frozenset(
    {PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, ENTITY_TYPE, TTL_ATTRIBUTE, EXPIRES_AT_TEXT}
)

for _model in _MODELS.values():
    _clash = (_STORAGE_ATTRIBUTES - {TTL_ATTRIBUTE}) & set(_model.model_fields)
    if _clash:
        raise TypeError(f"{_model.__name__} has fields named like storage attributes: {sorted(_clash)}")


def tenant_key(tenant_id: str) -> dict[str, str]:
    return {PK: keys.tenant_pk(tenant_id), SK: keys.TENANT_SK}


def api_key_key(key_hash: str) -> dict[str, str]:
    return {PK: keys.api_key_pk(key_hash), SK: keys.API_KEY_SK}


def programme_key(tenant_id: str, programme_id: str) -> dict[str, str]:
    return {PK: keys.tenant_pk(tenant_id), SK: keys.programme_sk(programme_id)}


def participant_key(tenant_id: str, programme_id: str, participant_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.participant_sk(participant_id)}


def pair_key(tenant_id: str, programme_id: str, pair_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.pair_sk(pair_id)}


def meeting_key(tenant_id: str, programme_id: str, pair_id: str, meeting_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.meeting_sk(pair_id, meeting_id)}


def run_key(tenant_id: str, programme_id: str, run_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.run_sk(run_id)}


def run_part_key(tenant_id: str, programme_id: str, run_id: str, index: int) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.run_part_sk(run_id, index)}


def lease_key(tenant_id: str, programme_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.MATCHING_LEASE_SK}


def endpoint_key(endpoint_id: str) -> dict[str, str]:
    return {PK: keys.endpoint_pk(endpoint_id), SK: keys.ENDPOINT_SK}


def delivery_key(endpoint_id: str, delivery_id: str) -> dict[str, str]:
    return {PK: keys.endpoint_pk(endpoint_id), SK: keys.delivery_sk(delivery_id)}


def message_key(tenant_id: str, message_id: str) -> dict[str, str]:
    return {PK: keys.outbox_pk(tenant_id), SK: keys.message_sk(message_id)}


def key_of(entity: DomainModel) -> dict[str, str]:
    """The primary key (``PK``, ``SK``) of the item that stores ``entity``."""
    attributes = key_attributes(entity)
    return {PK: attributes[PK], SK: attributes[SK]}


def key_attributes(entity: DomainModel) -> dict[str, str]:
    """Primary key plus the index attributes ``entity`` needs in its current state.

    Index sort keys that keys.py leaves open are the id the in-memory fake orders by,
    so both backends list in the same order.

    Raises
    ------
    TypeError
        When ``entity`` is not a kind of record kept in the table.
    """
    match entity:
        case Tenant():
            return tenant_key(entity.tenant_id)
        case ApiKey():
            return {
                **api_key_key(entity.key_hash),
                GSI1PK: keys.tenant_api_keys_gsi1(entity.tenant_id),
                GSI1SK: entity.key_id,
            }
        case Programme():
            attributes = programme_key(entity.tenant_id, entity.programme_id)
            if entity.matching_date is not None:
                attributes[GSI2PK] = keys.MATCHING_DATE_GSI2
                attributes[GSI2SK] = keys.matching_date_gsi2sk(
                    entity.matching_date, entity.tenant_id, entity.programme_id
                )
            return attributes
        case Participant():
            return {
                **participant_key(entity.tenant_id, entity.programme_id, entity.participant_id),
                GSI1PK: keys.participants_by_status_gsi1(
                    entity.tenant_id, entity.programme_id, entity.status.value
                ),
                GSI1SK: keys.participant_sk(entity.participant_id),
                GSI2PK: keys.participant_email_gsi2(entity.tenant_id, entity.email),
                GSI2SK: keys.programme_sk(entity.programme_id),
            }
        case Pair():
            attributes = pair_key(entity.tenant_id, entity.programme_id, entity.pair_id)
            if entity.status in OPEN_PAIR_STATUSES and entity.next_due_at is not None:
                attributes[GSI2PK] = keys.PAIRS_DUE_GSI2
                attributes[GSI2SK] = keys.pair_due_gsi2sk(entity.next_due_at, entity.pair_id)
            if entity.awaiting_mentor and entity.accept_by is not None:
                attributes[GSI1PK] = keys.PAIRS_AWAITING_MENTOR_GSI1
                attributes[GSI1SK] = keys.due_gsi_sk(entity.accept_by, entity.pair_id)
            return attributes
        case RunHead():
            run = entity.summary
            return run_key(run.tenant_id, run.programme_id, run.run_id)
        case RunPart():
            return run_part_key(entity.tenant_id, entity.programme_id, entity.run_id, entity.index)
        case MatchingLease():
            return lease_key(entity.tenant_id, entity.programme_id)
        case Meeting():
            return {
                **meeting_key(entity.tenant_id, entity.programme_id, entity.pair_id, entity.meeting_id),
                GSI1PK: keys.meeting_external_gsi1(entity.tenant_id, entity.source, entity.external_id),
                GSI1SK: entity.meeting_id,
            }
        case WebhookEndpoint():
            return {
                **endpoint_key(entity.endpoint_id),
                GSI1PK: keys.tenant_endpoints_gsi1(entity.tenant_id),
                GSI1SK: entity.endpoint_id,
            }
        case Delivery():
            attributes = delivery_key(entity.endpoint_id, entity.delivery_id)
            if entity.state in LISTABLE_DELIVERY_STATES:
                due = entity.next_attempt_at or entity.updated_at
                attributes[GSI1PK] = keys.deliveries_by_state_gsi1(entity.state.value)
                attributes[GSI1SK] = keys.due_gsi_sk(due, entity.endpoint_id, entity.delivery_id)
            return attributes
        case Message():
            attributes = message_key(entity.tenant_id, entity.message_id)
            if entity.state in LISTABLE_MESSAGE_STATES:
                due = entity.not_before or entity.created_at
                attributes[GSI1PK] = keys.messages_by_state_gsi1(entity.state.value)
                attributes[GSI1SK] = keys.due_gsi_sk(due, entity.message_id)
            if entity.participant_id is not None:
                attributes[GSI2PK] = keys.participant_messages_gsi2(entity.tenant_id, entity.participant_id)
                attributes[GSI2SK] = keys.due_gsi_sk(entity.created_at, entity.message_id)
            return attributes
    raise TypeError(f"{type(entity).__name__} is not stored in the table")


def to_item(entity: DomainModel) -> dict[str, Any]:
    """The complete item for ``entity``, ready for ``Table.put_item``.

    Raises
    ------
    TypeError
        When ``entity`` is not a kind of record kept in the table, or holds a value DynamoDB cannot store.
    ValueError
        When a float is NaN or infinite, or the expiry time is naive.
    """
    model = type(entity)
    if model not in _ENTITY_TYPES:
        raise TypeError(f"{model.__name__} is not stored in the table")
    free_form = _free_form_fields(model)
    item = {
        name: _to_attribute(value)
        for name, value in entity.model_dump(mode="python", exclude=set(free_form)).items()
    }
    if free_form:
        for name, value in entity.model_dump(mode="json", include=set(free_form)).items():
            item[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if TTL_ATTRIBUTE in model.model_fields:
        del item[TTL_ATTRIBUTE]
        expires = getattr(entity, TTL_ATTRIBUTE)
        if isinstance(expires, datetime):
            item[TTL_ATTRIBUTE] = _epoch_seconds(expires)
            item[EXPIRES_AT_TEXT] = expires.isoformat()
    item.update(key_attributes(entity))
    item[ENTITY_TYPE] = _ENTITY_TYPES[model]
    return item


def from_item(item: Mapping[str, Any]) -> DomainModel:
    """The entity an item stores, chosen by its ``entity_type``.

    Raises
    ------
    ValueError
        When the item has no known ``entity_type``.
    pydantic.ValidationError
        When the stored attributes no longer fit the model.
    """
    entity_type = item.get(ENTITY_TYPE)
    model = _MODELS.get(entity_type) if isinstance(entity_type, str) else None
    if model is None:
        raise ValueError(f"item {item.get(PK)!r}/{item.get(SK)!r} has no known entity_type: {entity_type!r}")
    free_form = _free_form_fields(model)
    data: dict[str, Any] = {}
    for name, value in item.items():
        if name in _STORAGE_ATTRIBUTES:
            continue
        data[name] = json.loads(value) if name in free_form else _from_attribute(value)
    if TTL_ATTRIBUTE in model.model_fields and EXPIRES_AT_TEXT in item:
        data[TTL_ATTRIBUTE] = item[EXPIRES_AT_TEXT]
    return model.model_validate(data)


def from_item_as(item: Mapping[str, Any], model: type[E]) -> E:
    """Like ``from_item``, for a caller that knows which model the item must hold.

    Raises
    ------
    TypeError
        When the item holds another kind of entity.
    """
    entity = from_item(item)
    if not isinstance(entity, model):
        raise TypeError(f"expected a {model.__name__} item, found {type(entity).__name__}")
    return entity


@cache
def _free_form_fields(model: type[DomainModel]) -> frozenset[str]:
    return frozenset(name for name, field in model.model_fields.items() if _mentions_any(field.annotation))


def _mentions_any(annotation: object) -> bool:
    return annotation is Any or any(_mentions_any(arg) for arg in get_args(annotation))


_COMPRESSED = b"\x01"
# DynamoDB numbers hold 38 significant digits between 1E-130 and 9.99E+125; values the models
# allow but the table cannot hold are refused as bad input rather than failing as a 500.
_MAX_DYNAMODB_NUMBER = 10**38
_MIN_DYNAMODB_NUMBER = 1e-130


def _epoch_seconds(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("expiry times must be timezone-aware")
    # Rounded up: TTL may delete late, never before the promised time.
    return math.ceil(at.timestamp())


def _to_attribute(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, str | bool | Decimal):
        return value
    if isinstance(value, int):
        if abs(value) >= _MAX_DYNAMODB_NUMBER:
            raise ValidationFailed("a number is too large to store")
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= _MAX_DYNAMODB_NUMBER:
            raise ValidationFailed("a number is too large to store")
        if value != 0 and abs(value) < _MIN_DYNAMODB_NUMBER:
            raise ValidationFailed("a number is too small to store")
        # repr is the shortest text that reads back as the same float.
        return Decimal(repr(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        # Raw webhook bodies are text and compress several times over, which keeps a 1 MB
        # form submission inside DynamoDB's 400 KB item limit.
        return Binary(_COMPRESSED + zlib.compress(bytes(value), 6))
    if isinstance(value, dict):
        return {str(key): _to_attribute(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_to_attribute(inner) for inner in value]
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def _from_attribute(value: Any) -> Any:
    if isinstance(value, Decimal):
        # DynamoDB keeps no int/float distinction; the model's field type restores it.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        # boto3-stubs leave out Binary.value, which boto3 always sets to the stored bytes.
        stored = bytes(value.value)  # type: ignore[attr-defined]
        return zlib.decompress(stored[1:]) if stored[:1] == _COMPRESSED else stored
    if isinstance(value, dict):
        return {key: _from_attribute(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_from_attribute(inner) for inner in value]
    return value
