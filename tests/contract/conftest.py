"""The storage backends every contract test runs against: the in-memory fake, moto, and DynamoDB Local."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3
import pytest

from chalicelib.storage.dynamodb import dynamo_storage
from chalicelib.storage.memory import in_memory_storage
from chalicelib.storage.repositories import Storage
from tests.integration.tables import local_table, moto_table


@dataclass(frozen=True)
class Backend:
    """One backend under test; ``connect`` opens another client on the same data (one per thread)."""

    name: str
    storage: Storage
    connect: Callable[[], Storage]


def _connect(table_name: str, endpoint_url: str | None) -> Callable[[], Storage]:
    def connect() -> Storage:
        # boto3 resources must not be shared across threads; a session of its own per caller.
        resource = boto3.session.Session().resource("dynamodb", endpoint_url=endpoint_url)
        return dynamo_storage(resource.Table(table_name))

    return connect


@pytest.fixture(params=["memory", "moto", pytest.param("dynamodb-local", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        storage = in_memory_storage()
        yield Backend("memory", storage, lambda: storage)
    elif request.param == "moto":
        with moto_table() as table:
            yield Backend("moto", dynamo_storage(table), _connect(table.name, None))
    else:
        endpoint_url = request.getfixturevalue("dynamodb_local_endpoint")
        with local_table(endpoint_url) as table:
            yield Backend("dynamodb-local", dynamo_storage(table), _connect(table.name, endpoint_url))


@pytest.fixture
def storage(backend: Backend) -> Storage:
    return backend.storage
