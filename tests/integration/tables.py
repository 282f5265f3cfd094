"""Fresh mentorflow tables on moto and on DynamoDB Local, for tests that need a real table API."""

from __future__ import annotations

import uuid
from collections import Counter
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3

from chalicelib.storage.table import create_table
from tests.support.aws import mock_aws

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_dynamodb.service_resource import Table


@contextmanager
def moto_table() -> Iterator[Table]:
    """A table inside ``mock_aws``, created before anything uses it; gone when the block ends."""
    with mock_aws():
        name = "mentorflow-test"
        create_table(boto3.client("dynamodb"), name)
        yield boto3.resource("dynamodb").Table(name)


def dynamodb_requests(table: Table) -> Counter[str]:
    """Every DynamoDB request made through the table's client from now on, by operation (botocore's events)."""
    sent: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        sent[event_name.rsplit(".", 1)[-1]] += 1

    table.meta.client.meta.events.register("before-call.dynamodb.*", count)
    return sent


@contextmanager
def local_table(endpoint_url: str) -> Iterator[Table]:
    """A table of its own on DynamoDB Local, deleted when the block ends."""
    name = f"mentorflow-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client("dynamodb", endpoint_url=endpoint_url)
    create_table(client, name)
    try:
        yield boto3.resource("dynamodb", endpoint_url=endpoint_url).Table(name)
    finally:
        client.delete_table(TableName=name)
