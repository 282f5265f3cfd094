"""A fresh mentorflow table per test, on moto and on DynamoDB Local."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.tables import local_table, moto_table

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_dynamodb.service_resource import Table


@pytest.fixture(params=["moto", pytest.param("dynamodb-local", marks=pytest.mark.integration)])
def table(request: pytest.FixtureRequest) -> Iterator[Table]:
    if request.param == "moto":
        with moto_table() as created:
            yield created
    else:
        with local_table(request.getfixturevalue("dynamodb_local_endpoint")) as created:
            yield created
