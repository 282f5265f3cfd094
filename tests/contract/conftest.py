"""The storage backends every contract test runs against: the in-memory fake, moto, and DynamoDB Local."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import pytest

from chalicelib.storage.repositories import Storage, in_memory, on_dynamodb
from tests.integration.tables import local_table, moto_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@dataclass(frozen=True)
class Backend:
    """One backend under test; ``connect`` opens another client on the same data (one per thread).

    ``table`` is the DynamoDB table under the storage, for reading raw items (None in memory).
    """

    name: str
    storage: Storage
    connect: Callable[[], Storage]
    table: Table | None = None


def _connect(kind: type[Storage], table_name: str, endpoint_url: str | None) -> Callable[[], Storage]:
    def connect() -> Storage:
        # boto3 resources must not be shared across threads; a session of its own per caller.
        resource = boto3.session.Session().resource("dynamodb", endpoint_url=endpoint_url)
        return on_dynamodb(kind, resource.Table(table_name))

    return connect


@pytest.fixture
def storage_class() -> type[Storage]:
    """The aggregate under test; a module overrides it with a ``Storage`` subclass to test a type of its own."""
    return Storage


@pytest.fixture(params=["memory", "moto", pytest.param("dynamodb-local", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest, storage_class: type[Storage]) -> Iterator[Backend]:
    if request.param == "memory":
        storage = in_memory(storage_class)
        yield Backend("memory", storage, lambda: storage)
    elif request.param == "moto":
        with moto_table() as table:
            storage = on_dynamodb(storage_class, table)
            yield Backend("moto", storage, _connect(storage_class, table.name, None), table)
    else:
        endpoint_url = request.getfixturevalue("dynamodb_local_endpoint")
        with local_table(endpoint_url) as table:
            storage = on_dynamodb(storage_class, table)
            yield Backend("dynamodb-local", storage, _connect(storage_class, table.name, endpoint_url), table)


@pytest.fixture
def storage(backend: Backend) -> Storage:
    return backend.storage
