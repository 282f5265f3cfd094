"""Fixtures of the enrolment specifications: the instant they happen at (storage and outbox are shared)."""

from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock
from tests.support.forms import NOW


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)
