"""Fixtures of the matching service's specifications."""

from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock
from chalicelib.notify.outbox import Notifier
from chalicelib.services import programmes as programme_service
from chalicelib.storage.repositories import in_memory_storage
from tests.support.builders import COHORT

from .scene import NOW, TENANT, Scene


@pytest.fixture
def scene() -> Scene:
    storage = in_memory_storage()
    clock = FixedClock(NOW)
    programme = programme_service.create_programme(
        storage,
        tenant_id=TENANT,
        fields=COHORT | {"default_language": "en"},
        clock=clock,
    )
    return Scene(storage=storage, clock=clock, notifier=Notifier(storage.messages, clock), programme=programme)
