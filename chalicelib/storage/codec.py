"""How an entity's fields become DynamoDB attribute values (boto3 resource format) and back.

This is the one generic encoding every stored type shares, so a field added to a domain
model is stored and read back without any storage change. It knows nothing of keys or
indexes: each type's module says which key attributes an item carries.

* Datetimes and dates are ISO-8601 text with their UTC offset; floats are ``Decimal``;
  ``bytes`` are zlib-compressed ``Binary``; enums are their value.
* Fields typed ``Any`` (vendor payloads, match reasons, field mappings) are JSON text:
  DynamoDB numbers lose the int/float distinction and cannot hold every JSON value, and
  these fields are never queried, so text is the one exact round trip.
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
from typing import TYPE_CHECKING, Any, get_args

from chalicelib.errors import ValidationFailed
from chalicelib.storage.table import TTL_ATTRIBUTE

if TYPE_CHECKING:
    from collections.abc import Mapping

    from boto3.dynamodb.types import Binary

    from chalicelib.domain.common import DomainModel

PK = "PK"
SK = "SK"
GSI1PK = "GSI1PK"
GSI1SK = "GSI1SK"
GSI2PK = "GSI2PK"
GSI2SK = "GSI2SK"
ENTITY_TYPE = "entity_type"
VERSION = "version"
EXPIRES_AT_TEXT = f"{TTL_ATTRIBUTE}_text"

STORAGE_ATTRIBUTES = frozenset({PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, ENTITY_TYPE, TTL_ATTRIBUTE, EXPIRES_AT_TEXT})

_COMPRESSED = b"\x01"
# DynamoDB numbers hold 38 significant digits between 1E-130 and 9.99E+125; values the models
# allow but the table cannot hold are refused as bad input rather than failing as a 500.
_MAX_DYNAMODB_NUMBER = 10**38
_MIN_DYNAMODB_NUMBER = 1e-130


def clashing_fields(model: type[DomainModel]) -> frozenset[str]:
    """Fields of ``model`` named like an attribute storage writes itself (the TTL field is the one allowed)."""
    return (STORAGE_ATTRIBUTES - {TTL_ATTRIBUTE}) & set(model.model_fields)


def encode_fields(entity: DomainModel) -> dict[str, Any]:
    """Every field of ``entity`` as attribute values, without key attributes.

    Raises
    ------
    TypeError
        When a field holds a value DynamoDB cannot store.
    ValueError
        When a float is NaN or infinite, or the expiry time is naive.
    """
    model = type(entity)
    free_form = _free_form_fields(model)
    item = {
        name: _to_attribute(value) for name, value in entity.model_dump(mode="python", exclude=set(free_form)).items()
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
    return item


def decode_fields(item: Mapping[str, Any], model: type[DomainModel]) -> dict[str, Any]:
    """The field values of ``model`` an item holds, ready for ``model_validate``."""
    free_form = _free_form_fields(model)
    data: dict[str, Any] = {}
    for name, value in item.items():
        if name in STORAGE_ATTRIBUTES:
            continue
        data[name] = json.loads(value) if name in free_form else _from_attribute(value)
    if TTL_ATTRIBUTE in model.model_fields and EXPIRES_AT_TEXT in item:
        data[TTL_ATTRIBUTE] = item[EXPIRES_AT_TEXT]
    return data


@cache
def _binary() -> type[Binary]:
    # Loaded on first use, like the rest of the AWS SDK (see chalicelib.storage.base).
    from boto3.dynamodb.types import Binary

    return Binary


@cache
def _free_form_fields(model: type[DomainModel]) -> frozenset[str]:
    return frozenset(name for name, field in model.model_fields.items() if _mentions_any(field.annotation))


def _mentions_any(annotation: object) -> bool:
    return annotation is Any or any(_mentions_any(arg) for arg in get_args(annotation))


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
        return _binary()(_COMPRESSED + zlib.compress(bytes(value), 6))
    if isinstance(value, dict):
        return {str(key): _to_attribute(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_to_attribute(inner) for inner in value]
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def _from_attribute(value: Any) -> Any:
    if isinstance(value, Decimal):
        # DynamoDB keeps no int/float distinction; the model's field type restores it.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, _binary()):
        # boto3-stubs leave out Binary.value, which boto3 always sets to the stored bytes.
        stored = bytes(value.value)  # type: ignore[attr-defined]
        return zlib.decompress(stored[1:]) if stored[:1] == _COMPRESSED else stored
    if isinstance(value, dict):
        return {key: _from_attribute(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_from_attribute(inner) for inner in value]
    return value
