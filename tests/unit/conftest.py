"""Fixtures every unit specification may use: in-memory storage and the real outbox on it.

Each folder defines its own ``clock`` fixture, at the instant its story happens.
"""

from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock
from chalicelib.notify.outbox import Notifier
from chalicelib.storage.repositories import Storage, in_memory_storage


@pytest.fixture
def storage() -> Storage:
    return in_memory_storage()


@pytest.fixture
def notifier(storage: Storage, clock: FixedClock) -> Notifier:
    return Notifier(storage.messages, clock)
