"""Tenant off-boarding and programme sweeps at the storage level, on either backend.

``purge_tenant`` deletes every item of one tenant, API keys first. ``rewrite_programme``
hands every entity of one programme's partition to a function that keeps, replaces or
drops it: erasure and archiving use it for the kinds of item that have no repository
method of their own to scrub or delete (invitations, survey answers, form-response
records, matching-run parts), so a person is removed wherever an item names them.

A tenant's items live in partitions its id names (``TENANT#<t>...``) and in partitions
found through it: its API keys (``APIKEY#<hash>``, listed by the tenant's key index) and
its webhook endpoints with their deliveries (``ENDPOINT#<e>``, listed by the tenant's
endpoint index). Keys go first, so that nobody acts for the tenant while the rest goes;
an interrupted purge is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from chalicelib.domain.common import DomainModel
from chalicelib.domain.tenant import ApiKey
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, PK, SK
from chalicelib.storage.registry import from_item, key_attributes, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from chalicelib.storage.repositories import Storage


def purge_tenant(storage: Storage, tenant_id: str) -> int:
    """Delete every stored item of ``tenant_id``; how many were deleted."""
    repositories = [getattr(storage, f.name) for f in fields(storage)]
    dynamo = [r for r in repositories if isinstance(r, DynamoRepository)]
    if dynamo:
        return _purge_table(dynamo[0]._table, tenant_id)
    return _purge_fakes(repositories, tenant_id)


def _item_keys(table: Table, **query: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = table.query(**query)
        found.extend({PK: item[PK], SK: item[SK]} for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _partition(table: Table, pk: str) -> list[dict[str, Any]]:
    return _item_keys(table, KeyConditionExpression=Key(PK).eq(pk), ConsistentRead=True)


def _indexed(table: Table, gsi1pk: str) -> list[dict[str, Any]]:
    return _item_keys(table, IndexName=GSI1, KeyConditionExpression=Key(GSI1PK).eq(gsi1pk))


def _delete(table: Table, item_keys: list[dict[str, Any]]) -> int:
    with table.batch_writer(overwrite_by_pkeys=[PK, SK]) as batch:
        for key in item_keys:
            batch.delete_item(Key=key)
    return len(item_keys)


def _purge_table(table: Table, tenant_id: str) -> int:
    deleted = _delete(table, _indexed(table, keys.tenant_api_keys_gsi1(tenant_id)))
    for endpoint in _indexed(table, keys.tenant_endpoints_gsi1(tenant_id)):
        deleted += _delete(table, _partition(table, endpoint[PK]))
    tenant_items = _partition(table, keys.tenant_pk(tenant_id))
    for item in tenant_items:
        if str(item[SK]).startswith(keys.PROGRAMME_SK_PREFIX):
            programme_id = str(item[SK]).removeprefix(keys.PROGRAMME_SK_PREFIX)
            deleted += _delete(table, _partition(table, keys.programme_pk(tenant_id, programme_id)))
    deleted += _delete(table, _partition(table, keys.outbox_pk(tenant_id)))
    # The tenant's own partition last: while it is there, the programmes above can be found again.
    return deleted + _delete(table, tenant_items)


def _purge_fakes(repositories: list[Any], tenant_id: str) -> int:
    stores = [value for r in repositories for value in vars(r).values() if isinstance(value, VersionedStore)]
    # The fakes keep API keys in a store of their own: it goes first, as on DynamoDB.
    stores.sort(key=lambda store: not any(isinstance(entity, ApiKey) for entity in store.values()))
    deleted = 0
    for store in stores:
        with store.lock:
            doomed = [key for key, entity in store.items() if getattr(entity, "tenant_id", None) == tenant_id]
            for key in doomed:
                del store[key]
        deleted += len(doomed)
    return deleted


Rewrite = Callable[[DomainModel], DomainModel | None]


def rewrite_programme(storage: Storage, tenant_id: str, programme_id: str, rewrite: Rewrite) -> tuple[int, int]:
    """Apply ``rewrite`` to every entity of a programme's partition; how many were (replaced, deleted).

    ``rewrite`` returns the entity itself to keep it, another entity to store in its
    place (at the next version, so a writer holding the old one gets a conflict), or
    None to delete it. It must be pure: on the fakes it runs under the store's lock.
    """
    repositories = [getattr(storage, f.name) for f in fields(storage)]
    dynamo = [r for r in repositories if isinstance(r, DynamoRepository)]
    if dynamo:
        return _rewrite_partition(dynamo[0]._table, keys.programme_pk(tenant_id, programme_id), rewrite)
    return _rewrite_fakes(repositories, tenant_id, programme_id, rewrite)


def _rewrite_partition(table: Table, pk: str, rewrite: Rewrite) -> tuple[int, int]:
    replaced = deleted = 0
    query: dict[str, Any] = {"KeyConditionExpression": Key(PK).eq(pk), "ConsistentRead": True}
    while True:
        page = table.query(**query)
        for item in page.get("Items", []):
            try:
                entity = from_item(item)
            except ValueError:
                continue
            result = rewrite(entity)
            if result is None:
                table.delete_item(Key={PK: item[PK], SK: item[SK]})
                deleted += 1
            elif result is not entity:
                stored = to_item(result.model_copy(update={"version": entity.version + 1}))
                table.put_item(Item=stored)
                replaced += 1
        if "LastEvaluatedKey" not in page:
            return replaced, deleted
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _in_partition(entity: Any, tenant_id: str, programme_id: str) -> bool:
    try:
        return key_attributes(entity)[PK] == keys.programme_pk(tenant_id, programme_id)
    except TypeError:
        # A fake may hold a whole entity the table splits into items (a matching run and its parts).
        return (getattr(entity, "tenant_id", None), getattr(entity, "programme_id", None)) == (tenant_id, programme_id)


def _rewrite_fakes(repositories: list[Any], tenant_id: str, programme_id: str, rewrite: Rewrite) -> tuple[int, int]:
    stores = [value for r in repositories for value in vars(r).values() if isinstance(value, VersionedStore)]
    replaced = deleted = 0
    for store in stores:
        with store.lock:
            for key, entity in list(store.items()):
                if not _in_partition(entity, tenant_id, programme_id):
                    continue
                copy = entity.model_copy(deep=True)
                result = rewrite(copy)
                if result is None:
                    del store[key]
                    deleted += 1
                elif result is not copy:
                    store[key] = result.model_copy(deep=True, update={"version": entity.version + 1})
                    replaced += 1
    return replaced, deleted
