from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.aws import mock_aws
from tests.support.world import RecordingProcessor, World, standard_source, world_with

for _name, _value in (
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
):
    os.environ.setdefault(_name, _value)


@pytest.fixture
def processor() -> RecordingProcessor:
    return RecordingProcessor()


@pytest.fixture(params=["memory", "moto"])
def storage(request: pytest.FixtureRequest) -> Iterator[object]:
    if request.param == "memory":
        from chalicelib.storage.repositories import in_memory_storage

        yield in_memory_storage()
        return
    import boto3

    from chalicelib.storage.repositories import dynamo_storage
    from chalicelib.storage.table import create_table

    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        create_table(resource.meta.client, "mentorflow-test")
        yield dynamo_storage(resource.Table("mentorflow-test"))


@pytest.fixture
def world(storage: object, processor: RecordingProcessor) -> Iterator[World]:
    with world_with(storage, sources=standard_source(processor)) as built:  # type: ignore[arg-type]
        yield built
