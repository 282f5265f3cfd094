"""Fixtures of the enrolment specifications: in-memory storage, a fixed clock, the real outbox, one programme."""

from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock
from chalicelib.notify.outbox import Notifier
from chalicelib.storage.memory import in_memory_storage
from chalicelib.storage.repositories import Storage
from tests.unit.intake.builders import NOW


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def storage() -> Storage:
    return in_memory_storage()


@pytest.fixture
def notifier(storage: Storage, clock: FixedClock) -> Notifier:
    return Notifier(storage.messages, clock)
