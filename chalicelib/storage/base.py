"""The machinery every stored type's repositories share: on DynamoDB, in memory, and the ``Page`` they return.

Writes use optimistic concurrency. An entity carries the ``version`` it was read at;
``save`` stores it only if the stored version is still that one (or, at version 0, if
nothing is stored yet), then returns the entity with ``version + 1``. A lost race raises
``VersionConflict``: the caller re-reads and re-applies its change.

``DynamoRepository`` is the boundary for DynamoDB errors: a failed write condition becomes
``VersionConflict``, ``Conflict`` or ``False`` as the repository contract says, a bad paging
cursor becomes ``ValidationFailed``, and every other ``ClientError`` propagates unchanged.
Whole items are always written with ``put_item`` so that an item's index attributes are
exactly those of its new state (sparse indexes). Nothing here talks to AWS at import or
construction, and nothing imports the AWS SDK before a DynamoDB repository is used: the
services import this package with every stored type, and a Lambda that never touches
DynamoDB (or the in-memory fakes) should not pay for loading boto3. ``Key`` and ``Attr``
build boto3's conditions on first use for that reason.

``VersionedStore`` is the in-memory fakes' table. Fakes copy on every read and write so
that, as with a real table, changing a returned object changes nothing stored until it
is saved.
"""

from __future__ import annotations

import base64
import builtins
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from chalicelib.domain.common import DomainModel
from chalicelib.errors import Conflict, PayloadTooLarge, ValidationFailed, VersionConflict
from chalicelib.storage import keys
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK, VERSION
from chalicelib.storage.registry import from_item_as, key_of, to_item

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from boto3.dynamodb import conditions
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb.service_resource import Table

T = TypeVar("T")
E = TypeVar("E", bound=DomainModel)
K = TypeVar("K")
Item = dict[str, Any]

GSI1 = "GSI1"
GSI2 = "GSI2"

# Index times have microsecond resolution, so "at or before t" is "before t + 1 µs".
TIME_RESOLUTION = timedelta(microseconds=1)


# Named like the boto3 classes they build, so conditions read as in boto3's own documentation.
def Key(name: str) -> conditions.Key:
    """boto3's ``Key(name)`` for a key condition, loading boto3 on first use."""
    from boto3.dynamodb.conditions import Key as BotoKey

    return BotoKey(name)


def Attr(name: str) -> conditions.Attr:
    """boto3's ``Attr(name)`` for a filter or write condition, loading boto3 on first use."""
    from boto3.dynamodb.conditions import Attr as BotoAttr

    return BotoAttr(name)


def _client_error() -> type[ClientError]:
    from botocore.exceptions import ClientError

    return ClientError


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; pass ``next_cursor`` back to get the next one (None = last page)."""

    items: list[T]
    next_cursor: str | None = None


class DynamoRepository:
    """The table operations every DynamoDB repository shares: versioned writes, reads and paged queries.

    Parameters
    ----------
    table
        The mentorflow table (boto3 ``Table`` resource).
    """

    def __init__(self, table: Table) -> None:
        self._table = table

    def _get(self, key: Mapping[str, str], model: type[E]) -> E | None:
        response = self._table.get_item(Key=dict(key), ConsistentRead=True)
        item = response.get("Item")
        return None if item is None else from_item_as(item, model)

    def _get_many(self, wanted: Sequence[Mapping[str, str]], model: type[E]) -> builtins.list[E]:
        """The entities stored at ``wanted`` keys (missing ones left out), a hundred keys per request."""
        # A unit of work's table (storage.batch) answers from what it read and wrote; a boto3 Table has no read_many.
        read_many = getattr(self._table, "read_many", None)
        items = read_many(wanted) if read_many is not None else batch_get(self._table, wanted)
        return [from_item_as(item, model) for item in items.values()]

    def _save(self, entity: E) -> E:
        expected = entity.version
        saved = entity.model_copy(deep=True, update={"version": expected + 1})
        # Version 0 means "never stored": it may only create. Otherwise the stored record
        # must still be the version the caller read, or someone else's write would be lost.
        is_new = Attr(PK).not_exists()
        unchanged = Attr(VERSION).eq(expected)
        condition = is_new if expected == 0 else unchanged
        try:
            self._table.put_item(Item=to_item(saved), ConditionExpression=condition)
        except _client_error() as exc:
            if _condition_failed(exc):
                raise VersionConflict("the record was changed by someone else; read it again") from exc
            if _item_too_large(exc):
                raise PayloadTooLarge(f"the {type(entity).__name__} is too large to store") from exc
            raise
        return saved

    def _create(self, entity: E, what: str) -> E:
        stored = entity.model_copy(deep=True, update={"version": 1})
        # Creating must never overwrite: an id or hash that exists is a uniqueness conflict.
        is_new = Attr(PK).not_exists()
        try:
            self._table.put_item(Item=to_item(stored), ConditionExpression=is_new)
        except _client_error() as exc:
            if _condition_failed(exc):
                raise Conflict(f"{what} exists") from exc
            if _item_too_large(exc):
                raise PayloadTooLarge(f"{what} is too large to store") from exc
            raise
        return stored

    def _add_once(self, entity: E) -> bool:
        # The record's own key is the idempotency key: a second arrival finds it stored.
        try:
            self._create(entity, type(entity).__name__)
        except Conflict:
            return False
        return True

    def _put_unconditionally(self, entity: DomainModel) -> None:
        self._table.put_item(Item=to_item(entity))

    def _delete(self, entity: DomainModel) -> None:
        self._table.delete_item(Key=key_of(entity))

    def _query(self, model: type[E], *, limit: int | None = None, **query: Any) -> builtins.list[E]:
        """Every item the query selects (up to ``limit``), following DynamoDB's pages."""
        items: builtins.list[Item] = []
        filtered = "FilterExpression" in query
        while limit is None or len(items) < limit:
            if limit is not None and not filtered:
                # With a filter, Limit counts items read before filtering, so it cannot be the shortfall.
                query["Limit"] = limit - len(items)
            response = self._table.query(**query)
            items.extend(response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if last_key is None:
                break
            query["ExclusiveStartKey"] = last_key
        chosen = items if limit is None else items[:limit]
        return [from_item_as(item, model) for item in chosen]

    def _query_page(
        self,
        model: type[E],
        *,
        limit: int,
        cursor: str | None,
        position: tuple[str, ...],
        partition: tuple[str, str],
        sort_prefix: tuple[str, str] | None = None,
        **query: Any,
    ) -> Page[E]:
        """One page of a query; ``position`` names the attributes of the index's key (LastEvaluatedKey)."""
        if limit < 1:
            raise ValidationFailed("limit must be at least 1", details={"limit": limit})
        if cursor is not None:
            query["ExclusiveStartKey"] = _decode_cursor(cursor, position, partition, sort_prefix)
        items: builtins.list[Item] = []
        # One item more than asked tells whether another page exists, so the last page has no cursor.
        while len(items) <= limit:
            query["Limit"] = limit + 1 - len(items)
            response = self._table.query(**query)
            items.extend(response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if last_key is None:
                break
            query["ExclusiveStartKey"] = last_key
        next_cursor = None
        if len(items) > limit:
            last = items[limit - 1]
            next_cursor = _encode_cursor({name: last[name] for name in position})
        return Page(items=[from_item_as(item, model) for item in items[:limit]], next_cursor=next_cursor)


# DynamoDB's limits per request: keys of one BatchGetItem, and items of one TransactWriteItems.
BATCH_GET_LIMIT = 100
TRANSACTION_LIMIT = 100


@dataclass(frozen=True)
class ConditionalPut:
    """One put of a transaction: the whole item, stored only if ``condition`` (a boto3 condition) holds."""

    item: Item
    condition: conditions.ConditionBase | None = None


def batch_get(table: Table, keys: Sequence[Mapping[str, str]]) -> dict[tuple[str, str], Item]:
    """The items stored at ``keys`` (strongly consistent), by ``(PK, SK)``; a key with no item is left out.

    One BatchGetItem per hundred keys, plus one for whatever DynamoDB leaves unprocessed.
    """
    wanted = list({(k[PK], k[SK]): {PK: k[PK], SK: k[SK]} for k in keys}.values())
    found: dict[tuple[str, str], Item] = {}
    # The resource's own client speaks Python values, not the wire types its stubs describe.
    client: Any = table.meta.client
    for start in range(0, len(wanted), BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            table.name: {"Keys": wanted[start : start + BATCH_GET_LIMIT], "ConsistentRead": True}
        }
        while request:
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(table.name, []):
                found[(item[PK], item[SK])] = item
            request = response.get("UnprocessedKeys") or {}
    return found


def transact_write(table: Table, puts: Sequence[ConditionalPut]) -> None:
    """Store every put or none (one TransactWriteItems of at most ``TRANSACTION_LIMIT`` items).

    Raises
    ------
    VersionConflict
        A condition failed, or another transaction wrote one of the items meanwhile: read again.
    ValidationFailed
        More items than one transaction holds.
    """
    if not puts:
        return
    if len(puts) > TRANSACTION_LIMIT:
        raise ValidationFailed(f"a transaction holds at most {TRANSACTION_LIMIT} items")
    if len(puts) == 1:
        # A single item is atomic on its own, at half a transaction's write cost.
        _put_one(table, puts[0])
        return
    from boto3.dynamodb.conditions import ConditionExpressionBuilder

    items: list[dict[str, Any]] = []
    for put in puts:
        request: dict[str, Any] = {"TableName": table.name, "Item": put.item}
        if put.condition is not None:
            # Built here, per item: boto3 would put a nested condition's placeholders at the top level.
            built = ConditionExpressionBuilder().build_expression(put.condition)
            request["ConditionExpression"] = built.condition_expression
            request["ExpressionAttributeNames"] = built.attribute_name_placeholders
            if built.attribute_value_placeholders:
                request["ExpressionAttributeValues"] = built.attribute_value_placeholders
        items.append({"Put": request})
    client: Any = table.meta.client
    try:
        client.transact_write_items(TransactItems=items)
    except _client_error() as exc:
        if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            raise VersionConflict("a record of the transaction was changed by someone else; read it again") from exc
        raise


def _put_one(table: Table, put: ConditionalPut) -> None:
    extra: dict[str, Any] = {} if put.condition is None else {"ConditionExpression": put.condition}
    try:
        table.put_item(Item=put.item, **extra)
    except _client_error() as exc:
        if _condition_failed(exc):
            raise VersionConflict("the record was changed by someone else; read it again") from exc
        raise


def due_condition(partition: str, due_before: datetime | None) -> conditions.ConditionBase:
    """GSI1 items of one partition whose time-first sort key is at or before ``due_before`` (all if None)."""
    in_state = Key(GSI1PK).eq(partition)
    if due_before is None:
        return in_state
    return in_state & Key(GSI1SK).lt(keys.due_gsi_sk(due_before + TIME_RESOLUTION))


def _item_too_large(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") == "ValidationException" and "size" in str(error.get("Message", "")).lower()


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _encode_cursor(position: Mapping[str, Any]) -> str:
    text = json.dumps(dict(position), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_cursor(
    cursor: str,
    position: tuple[str, ...],
    partition: tuple[str, str],
    sort_prefix: tuple[str, str] | None,
) -> dict[str, str]:
    """The start key a cursor stands for, checked to belong to the query it is passed to.

    Raises
    ------
    ValidationFailed
        When the cursor is not one this listing handed out.
    """
    invalid = ValidationFailed("the cursor is not valid for this listing")
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        decoded = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise invalid from exc
    if not isinstance(decoded, dict) or set(decoded) != set(position):
        raise invalid
    if not all(isinstance(value, str) for value in decoded.values()):
        raise invalid
    # DynamoDB answers a start key outside the key condition with a ValidationException, which
    # would pass through as a server error; a cursor from another listing is the caller's mistake.
    name, value = partition
    if decoded[name] != value:
        raise invalid
    if sort_prefix is not None and not decoded[sort_prefix[0]].startswith(sort_prefix[1]):
        raise invalid
    return decoded


class VersionedStore(dict[K, E]):
    """The in-memory fakes' table: a dict of entities with the optimistic-concurrency rule of ``save``."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def put_versioned(self, key: K, entity: E) -> E:
        with self.lock:
            current = self.get(key)
            stored_version = current.version if current is not None else 0
            if stored_version != entity.version:
                raise VersionConflict("the record was changed by someone else; read it again")
            saved = entity.model_copy(deep=True, update={"version": entity.version + 1})
            self[key] = saved
            return saved.model_copy(deep=True)

    def put_new(self, key: K, entity: E) -> bool:
        with self.lock:
            if key in self:
                return False
            self[key] = entity.model_copy(deep=True, update={"version": 1})
            return True

    def create(self, key: K, entity: E, what: str) -> E:
        """Store a new entity at version 1; ``Conflict`` if ``key`` is taken."""
        if not self.put_new(key, entity):
            raise Conflict(f"{what} exists")
        return entity.model_copy(deep=True, update={"version": 1})

    def read(self, key: K) -> E | None:
        found = self.get(key)
        return None if found is None else found.model_copy(deep=True)

    def remove(self, key: K) -> None:
        with self.lock:
            self.pop(key, None)

    def select(self, keep: Callable[[E], bool], order: Callable[[E], Any]) -> list[E]:
        with self.lock:
            chosen = [e for e in self.values() if keep(e)]
        return [e.model_copy(deep=True) for e in sorted(chosen, key=order)]

    def select_page(
        self, keep: Callable[[E], bool], order: Callable[[E], Any], limit: int, cursor: str | None
    ) -> Page[E]:
        # Only the page is copied: reading a 20,000-person programme page by page stays linear.
        with self.lock:
            chosen = [e for e in self.values() if keep(e)]
        page = _paginate(sorted(chosen, key=order), limit, cursor)
        return Page(items=[e.model_copy(deep=True) for e in page.items], next_cursor=page.next_cursor)


def _paginate(items: list[E], limit: int, cursor: str | None) -> Page[E]:
    if cursor is not None and not (cursor.isascii() and cursor.isdigit()):
        raise ValidationFailed("the cursor is not valid for this listing")
    start = int(cursor) if cursor else 0
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return Page(items=chunk, next_cursor=str(start + limit) if more else None)
