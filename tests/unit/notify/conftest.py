"""Builders and fixtures shared by the notifier's specifications."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.clock import FixedClock
from chalicelib.domain.participant import Participant, Profile, Role, participant_id_for
from chalicelib.domain.programme import Programme
from chalicelib.notify.channels import RecordingChannel

TENANT = "ten_acme"
NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def make_programme(**changes: Any) -> Programme:
    values: dict[str, Any] = {
        "programme_id": "prg_spring",
        "tenant_id": TENANT,
        "name": "Mentorstvo 2026",
        "matching_date": date(2026, 9, 1),
        "timezone": "Europe/Belgrade",
        "languages": ["en", "sr", "lt", "sl", "da"],
        "default_language": "en",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return Programme(**values)


def make_participant(
    *,
    name: str = "Ana Anić",
    email: str = "ana@example.org",
    language: str | None = "en",
    timezone: str | None = None,
    programme_id: str = "prg_spring",
    tenant_id: str = TENANT,
) -> Participant:
    return Participant(
        participant_id=participant_id_for(tenant_id, programme_id, email),
        tenant_id=tenant_id,
        programme_id=programme_id,
        profile=Profile(role=Role.MENTEE, email=email, name=name, language=language, timezone=timezone),
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()
