"""Contract of SyncInvitationRepository: once per person, found by next due time across tenants, gone when deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from chalicelib.domain.sync import OpenInvitation
from chalicelib.errors import VersionConflict

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage

SENT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def invitation(tenant_id: str, participant_id: str, *, at: datetime = SENT) -> OpenInvitation:
    return OpenInvitation.sent(
        tenant_id=tenant_id, programme_id="prg_onboarding", participant_id=participant_id, connector_id="con_hr", at=at
    )


def test_an_invitation_is_stored_once_per_person(storage: Storage) -> None:
    # GIVEN an open invitation
    assert storage.sync_invitations.add(invitation("ten_a", "par_1"))

    # WHEN the same person is invited again
    again = storage.sync_invitations.add(invitation("ten_a", "par_1", at=SENT + timedelta(days=1)))

    # THEN the first stays
    assert not again
    stored = storage.sync_invitations.get("ten_a", "prg_onboarding", "par_1")
    assert stored is not None
    assert stored.invited_at == SENT


def test_invitations_are_due_at_their_reminder_then_at_their_closing_across_tenants(storage: Storage) -> None:
    # GIVEN invitations of two tenants sent a day apart, one already reminded
    storage.sync_invitations.add(invitation("ten_a", "par_1"))
    storage.sync_invitations.add(invitation("ten_b", "par_2", at=SENT + timedelta(days=1)))
    reminded = storage.sync_invitations.add(invitation("ten_b", "par_3"))
    assert reminded
    stored = storage.sync_invitations.get("ten_b", "prg_onboarding", "par_3")
    assert stored is not None
    storage.sync_invitations.save(stored.model_copy(update={"remind_at": None}))

    # WHEN the sweep asks on day 14, on day 15 and on day 30
    day_14 = storage.sync_invitations.due(SENT + timedelta(days=14))
    day_15 = storage.sync_invitations.due(SENT + timedelta(days=15), limit=1)
    day_30 = storage.sync_invitations.due(SENT + timedelta(days=30))

    # THEN the reminded one waits for its closing, and the earliest come first
    assert [i.participant_id for i in day_14] == ["par_1"]
    assert [i.participant_id for i in day_15] == ["par_1"]
    assert [i.participant_id for i in day_30] == ["par_1", "par_2", "par_3"]


def test_a_deleted_invitation_is_no_longer_due(storage: Storage) -> None:
    # GIVEN an invitation due for its reminder
    storage.sync_invitations.add(invitation("ten_a", "par_1"))
    stored = storage.sync_invitations.get("ten_a", "prg_onboarding", "par_1")
    assert stored is not None

    # WHEN it is deleted
    storage.sync_invitations.delete(stored)

    # THEN nothing is due and nothing is found
    assert storage.sync_invitations.due(SENT + timedelta(days=40)) == []
    assert storage.sync_invitations.get("ten_a", "prg_onboarding", "par_1") is None


def test_a_stale_invitation_write_is_refused(storage: Storage) -> None:
    # GIVEN an invitation read twice
    storage.sync_invitations.add(invitation("ten_a", "par_1"))
    first = storage.sync_invitations.get("ten_a", "prg_onboarding", "par_1")
    second = storage.sync_invitations.get("ten_a", "prg_onboarding", "par_1")
    assert first is not None
    assert second is not None

    # WHEN both are saved
    storage.sync_invitations.save(first.model_copy(update={"remind_at": None}))

    # THEN the second is refused
    with pytest.raises(VersionConflict):
        storage.sync_invitations.save(second.model_copy(update={"remind_at": None}))
