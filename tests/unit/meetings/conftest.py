from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock
from chalicelib.storage.repositories import Storage
from tests.unit.meetings.scene import APPROVED_AT, Scene, build_scene


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(APPROVED_AT)


@pytest.fixture
def scene(storage: Storage, clock: FixedClock) -> Scene:
    return build_scene(storage, clock)
