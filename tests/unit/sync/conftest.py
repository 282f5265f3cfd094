"""Fixtures of the sync specifications: one programme on in-memory storage, at a fixed instant."""

from __future__ import annotations

import pytest

from chalicelib.clock import FixedClock
from chalicelib.notify.outbox import Notifier
from chalicelib.services import programmes as programme_service
from chalicelib.storage.repositories import in_memory_storage
from tests.unit.matching_service.scene import NOW, TENANT, Scene


@pytest.fixture
def scene() -> Scene:
    storage = in_memory_storage()
    clock = FixedClock(NOW)
    programme = programme_service.create_programme(
        storage,
        tenant_id=TENANT,
        fields={"name": "Uvođenje 2026", "languages": ["sr", "en", "sl"], "default_language": "sr"},
        clock=clock,
    )
    return Scene(storage=storage, clock=clock, notifier=Notifier(storage.messages, clock), programme=programme)
