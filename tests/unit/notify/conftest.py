"""Builders and fixtures shared by the notifier's specifications."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.participant import Participant, participant_id_for
from chalicelib.domain.programme import Programme
from chalicelib.notify.channels import RecordingChannel
from tests.support.builders import cohort_programme, participant, profile

TENANT = "ten_acme"
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def make_programme(**changes: Any) -> Programme:
    fields: dict[str, Any] = {"matching_date": date(2026, 9, 1), "default_language": "en"}
    return cohort_programme(TENANT, "prg_spring", now=NOW, **(fields | changes))


def make_participant(
    *,
    name: str = "Ana Anić",
    email: str = "ana@example.org",
    language: str | None = "en",
    timezone: str | None = None,
    programme_id: str = "prg_spring",
    tenant_id: str = TENANT,
) -> Participant:
    return participant(
        tenant_id,
        programme_id,
        participant_id_for(tenant_id, programme_id, email),
        profile=profile(email, name=name, language=language, timezone=timezone),
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()
