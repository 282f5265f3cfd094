"""moto for the tests, on one boto3 default session that every mocked block shares.

moto's own default replaces boto3's default session on every start, so that a test
cannot reuse credentials a session cached in an earlier one. Each new session then
reads botocore's endpoint and service models again: about 0.2 s of the 0.3 s that
setting up a table on moto took, in each of some 500 tests. Here the credentials are
the fake ones from the environment (``tests/conftest.py``, ``make``) in every test,
mocked or not, so moto keeps the default session and leaves the environment's
credentials as they are: a session made in one test, mocked or on DynamoDB Local,
holds the credentials the next one would read anyway. moto still resets its
backends on every start, so no test sees another's data.

moto is imported with this module, which ``tests/conftest.py`` imports before any test
runs, so every session a test makes carries moto's request hook (it only answers while
a block is active): a session made first on DynamoDB Local is mocked in the next block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import moto

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig
    from moto.core.models import MockAWS

MOTO_CONFIG: DefaultConfig = {"core": {"reset_boto3_session": False, "mock_credentials": False}}


def mock_aws() -> MockAWS:
    """``moto.mock_aws`` keeping boto3's default session and the environment's (fake) credentials."""
    return moto.mock_aws(config=MOTO_CONFIG)
