"""Fixtures of the intake specifications: in-memory storage, a fixed clock and the real outbox."""

from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock
from chalicelib.notify.outbox import Notifier
from chalicelib.storage.repositories import Storage, in_memory_storage

from .builders import NOW


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def storage() -> Storage:
    return in_memory_storage()


@pytest.fixture
def notifier(storage: Storage, clock: FixedClock) -> Notifier:
    return Notifier(storage.messages, clock)
