"""A unit of work on the table: reads fetched together, writes stored together in one transaction.

A webhook delivery needs a handful of items (the programme, the person, the answers they
gave before, a tombstone...) and writes a handful (the person, their message, the
delivery's outcome). Read one by one and written one by one that is a dozen requests.
``begin(storage)`` gives a ``Unit`` whose ``storage`` has the same repositories on a
``BufferedTable``:

* ``prefetch(keys)`` reads every key in one BatchGetItem; later ``get_item`` calls of those
  keys (and any key read once) are answered from what was read.
* A ``put_item`` of a key already read is checked against what was read (so a lost race
  still raises where the repository expects it) and kept; ``commit()`` stores everything
  kept in one TransactWriteItems, each put still conditional on the stored state, so a
  write that happened meanwhile cancels the whole unit with ``VersionConflict``.
* Anything else (a query, a delete, a put of a key never read, a place slot taken: who
  wins it must be known at once) first commits what is kept, then goes to the table, so
  queries always see the unit's own writes.

On the in-memory fake a unit is the storage itself: writes are stored at once, and
``prefetch``/``commit`` have nothing to do.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.storage.base import (
    TRANSACTION_LIMIT,
    ConditionalPut,
    DynamoRepository,
    Item,
    batch_get,
    transact_write,
)
from chalicelib.storage.codec import ENTITY_TYPE, PK, SK
from chalicelib.storage.registry import to_item

if TYPE_CHECKING:
    from boto3.dynamodb import conditions
    from mypy_boto3_dynamodb.service_resource import Table

    from chalicelib.domain.common import DomainModel
    from chalicelib.storage.repositories import Storage

ItemKey = tuple[str, str]

# Taking a place slot decides there and then who gets the place (the loser tries the next
# slot, or is waitlisted): such writes are never deferred to the commit.
WRITTEN_AT_ONCE = frozenset({"place_slot"})


class BufferedTable:
    """The parts of a boto3 ``Table`` the repositories use, with reads remembered and puts kept for one transaction."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._read: dict[ItemKey, Item | None] = {}
        self._kept: dict[ItemKey, ConditionalPut] = {}
        # Key ranges read whole (partition, sort-key prefix): a key in one that was not found is not stored.
        self._ranges: list[ItemKey] = []
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._table.name

    @property
    def meta(self) -> Any:
        return self._table.meta

    def prefetch(self, keys: Iterable[Mapping[str, str]]) -> None:
        wanted = [{PK: k[PK], SK: k[SK]} for k in keys if (k[PK], k[SK]) not in self._read]
        if not wanted:
            return
        found = batch_get(self._table, wanted)
        for key in wanted:
            self._read[(key[PK], key[SK])] = found.get((key[PK], key[SK]))

    def read_many(self, keys: Iterable[Mapping[str, str]]) -> dict[ItemKey, Item]:
        """The items at ``keys`` as the unit knows them, reading those it has not read in one request."""
        wanted = [{PK: k[PK], SK: k[SK]} for k in keys]
        self.prefetch(wanted)
        found = ((key[PK], key[SK]) for key in wanted)
        return {key: item for key in found if (item := self._read[key]) is not None}

    def remember(self, item: Item) -> None:
        """Take ``item`` as what is stored at its key (the caller has just written or read it)."""
        self._read[(item[PK], item[SK])] = item

    def get_item(self, *, Key: Mapping[str, str], **kwargs: Any) -> dict[str, Any]:
        key = (Key[PK], Key[SK])
        if key not in self._read:
            self._read[key] = self._table.get_item(Key=dict(Key), **kwargs).get("Item")
        item = self._read[key]
        return {} if item is None else {"Item": item}

    def put_item(self, *, Item: dict[str, Any], ConditionExpression: Any = None, **kwargs: Any) -> dict[str, Any]:
        key = (Item[PK], Item[SK])
        if key not in self._read and any(key[0] == pk and key[1].startswith(sk) for pk, sk in self._ranges):
            self._read[key] = None
        deferrable = Item.get(ENTITY_TYPE) not in WRITTEN_AT_ONCE and not kwargs and _decidable(ConditionExpression)
        if key not in self._read or not deferrable:
            self.commit()
            extra = {} if ConditionExpression is None else {"ConditionExpression": ConditionExpression}
            answer: Any = self._table.put_item(Item=Item, **extra, **kwargs)
            self._read[key] = Item
            return answer
        if ConditionExpression is not None and not _holds(ConditionExpression, self._read[key]):
            raise _condition_failed_error()
        earlier = self._kept.get(key)
        if earlier is None and len(self._kept) >= TRANSACTION_LIMIT:
            # More than one transaction holds (a large people sync): stored a hundred at a time, as before units.
            self.commit()
        # One transaction may write an item once: the last state, on the condition of the first write.
        condition = earlier.condition if earlier is not None else ConditionExpression
        self._kept[key] = ConditionalPut(item=Item, condition=condition)
        self._read[key] = Item
        return {}

    def delete_item(self, *, Key: Mapping[str, str], **kwargs: Any) -> Any:
        self.commit()
        self._read[(Key[PK], Key[SK])] = None
        return self._table.delete_item(Key=dict(Key), **kwargs)

    def query(self, **kwargs: Any) -> Any:
        self.commit()
        answer = self._table.query(**kwargs)
        # Only a strongly consistent read of the table itself tells what is stored now.
        if "IndexName" not in kwargs and kwargs.get("ConsistentRead"):
            for item in answer.get("Items", []):
                self._read[(str(item[PK]), str(item[SK]))] = dict(item)
            whole = not ({"Limit", "FilterExpression", "ExclusiveStartKey"} & kwargs.keys())
            prefix = _partition_and_prefix(kwargs.get("KeyConditionExpression"))
            if whole and prefix is not None and "LastEvaluatedKey" not in answer:
                self._ranges.append(prefix)
        return answer

    def batch_writer(self, *args: Any, **kwargs: Any) -> Any:
        self.commit()
        self._read.clear()
        self._ranges.clear()
        return self._table.batch_writer(*args, **kwargs)

    def commit(self) -> None:
        """Store every kept put in one transaction (``VersionConflict`` if any was overtaken)."""
        with self._lock:
            kept = list(self._kept.values())
            self._kept.clear()
        transact_write(self._table, kept)

    def discard(self) -> None:
        with self._lock:
            self._kept.clear()
            self._read.clear()
            self._ranges.clear()


def _partition_and_prefix(condition: Any) -> ItemKey | None:
    """``(PK, prefix)`` of a key condition ``PK = x AND begins_with(SK, prefix)``, else None."""
    if condition is None:
        return None
    expression = condition.get_expression()
    if expression["operator"] != "AND":
        return None
    parts = [part.get_expression() for part in expression["values"]]
    found = {(part["operator"], part["values"][0].name): part["values"][1] for part in parts}
    partition, prefix = found.get(("=", PK)), found.get(("begins_with", SK))
    return (partition, prefix) if isinstance(partition, str) and isinstance(prefix, str) else None


def _decidable(condition: Any) -> bool:
    """Whether a condition can be checked on the item read: a missing key, an attribute equal to a value."""
    if condition is None:
        return True
    expression = condition.get_expression()
    operator = expression["operator"]
    if operator in ("AND", "OR"):
        return all(_decidable(part) for part in expression["values"])
    return operator in ("attribute_not_exists", "attribute_exists", "=")


def _holds(condition: conditions.ConditionBase, item: Item | None) -> bool:
    expression = condition.get_expression()
    operator, values = expression["operator"], expression["values"]
    if operator == "AND":
        return all(_holds(part, item) for part in values)
    if operator == "OR":
        return any(_holds(part, item) for part in values)
    name = values[0].name
    present = item is not None and name in item
    if operator == "attribute_not_exists":
        return not present
    if operator == "attribute_exists":
        return present
    return present and item is not None and item[name] == values[1]


def _condition_failed_error() -> Exception:
    from botocore.exceptions import ClientError

    error = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}}
    return ClientError(error, "PutItem")  # type: ignore[arg-type]


@dataclasses.dataclass
class Unit:
    """Repositories whose reads and writes go through one ``BufferedTable`` (or straight through, in memory)."""

    storage: Storage
    table: BufferedTable | None = None

    @property
    def deferred(self) -> bool:
        """Whether writes wait for ``commit`` (on DynamoDB) rather than being stored at once (in memory)."""
        return self.table is not None

    def prefetch(self, keys: Iterable[Mapping[str, str]]) -> None:
        """Read these keys in one request, for the repositories' ``get`` to answer from."""
        if self.table is not None:
            self.table.prefetch(keys)

    def remember(self, entity: DomainModel) -> None:
        """Take ``entity`` as stored: the caller has just written it."""
        if self.table is not None:
            self.table.remember(to_item(entity))

    def commit(self) -> None:
        """Store the unit's kept writes together.

        Raises
        ------
        VersionConflict
            One of them was written by someone else since it was read; nothing of the unit is stored.
        """
        if self.table is not None:
            self.table.commit()

    def discard(self) -> None:
        """Drop the kept writes (after a failure) and forget every read."""
        if self.table is not None:
            self.table.discard()


def begin(storage: Storage) -> Unit:
    """A unit of work over ``storage``: its DynamoDB repositories on one ``BufferedTable``, the others as they are."""
    table = _table_of(storage)
    if table is None:
        return Unit(storage)
    buffered = BufferedTable(table)
    repositories: dict[str, Any] = {}
    for field in dataclasses.fields(storage):
        repository = getattr(storage, field.name)
        on_table = isinstance(repository, DynamoRepository) and repository._table is table
        inner: Any = getattr(repository, "inner", None)
        if on_table:
            repository = type(repository)(buffered)
        # A warm-process cache stays in front, with the unit's view of the table behind it.
        elif hasattr(repository, "over") and getattr(inner, "_table", None) is table:
            repository = repository.over(type(inner)(buffered))
        repositories[field.name] = repository
    return Unit(type(storage)(**repositories), buffered)


def _table_of(storage: Storage) -> Table | None:
    for field in dataclasses.fields(storage):
        repository = getattr(storage, field.name)
        if isinstance(repository, DynamoRepository):
            return repository._table
    return None
