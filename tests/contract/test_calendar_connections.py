"""Contract of CalendarConnectionRepository: per tenant, by watch, and due for renewal."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib.domain.calendars import CalendarConnection, ConnectionState, Grant, Provider, SealedSecret
from chalicelib.errors import VersionConflict
from tests.support.builders import BELGRADE, at
from tests.support.compare import differences

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def connection(tenant_id: str, connection_id: str, **fields: Any) -> CalendarConnection:
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "programme_id": "prg_1",
        "endpoint_id": "ep_cal",
        "connection_id": connection_id,
        "provider": Provider.GOOGLE,
        "grant": Grant.PERSONAL,
        "calendar_id": "søren.ærø@example.dk",
        "state": ConnectionState.ACTIVE,
        "created_at": at(0),
        "updated_at": at(0),
    }
    return CalendarConnection(**{**values, **fields})


def test_a_saved_connection_reads_back_with_its_sealed_tokens(storage: Storage) -> None:
    # GIVEN a personal Microsoft connection with sealed tokens and a subscription
    new = connection(
        "ten_a",
        "cal_1",
        provider=Provider.MICROSOFT,
        access_token=SealedSecret(key_id="alias/mentorflow", ciphertext="Y2lwaGVy"),
        refresh_token=SealedSecret(key_id="alias/mentorflow", ciphertext="cmVmcmVzaA=="),
        token_expires_at=at(60).astimezone(BELGRADE),
        sync_token="delta-1",
    )
    new.watching("sub-1", None, at(3 * 24 * 60), at=at(0))

    # WHEN it is saved and read back
    storage.calendars.save(new)
    stored = storage.calendars.get("ten_a", "cal_1")

    # THEN it is what was saved
    assert stored is not None
    assert differences(new.model_copy(update={"version": 1}), stored) == []


def test_connections_are_listed_per_tenant(storage: Storage) -> None:
    # GIVEN connections of two tenants
    storage.calendars.save(connection("ten_a", "cal_b"))
    storage.calendars.save(connection("ten_a", "cal_a"))
    storage.calendars.save(connection("ten_b", "cal_c"))

    # WHEN each tenant lists them
    # THEN each sees its own, by id
    assert [c.connection_id for c in storage.calendars.list("ten_a")] == ["cal_a", "cal_b"]
    assert [c.connection_id for c in storage.calendars.list("ten_b")] == ["cal_c"]


def test_a_connection_is_found_by_its_watch_until_it_is_revoked(storage: Storage) -> None:
    # GIVEN a Google connection watched by a channel
    watched = connection("ten_a", "cal_1")
    watched.watching("chan-1", "res-1", at(7 * 24 * 60), at=at(0))
    saved = storage.calendars.save(watched)

    # WHEN it is looked up by its channel, by another provider, then after revocation
    found = storage.calendars.by_watch("google", "chan-1")
    other_provider = storage.calendars.by_watch("microsoft", "chan-1")
    saved.revoke("consent withdrawn", at=at(10))
    storage.calendars.save(saved)

    # THEN only the live watch finds it
    assert found is not None
    assert found.connection_id == "cal_1"
    assert other_provider is None
    assert storage.calendars.by_watch("google", "chan-1") is None


def test_watches_due_for_renewal_are_found_soonest_first_and_leave_once_renewed(storage: Storage) -> None:
    # GIVEN three watched connections of two tenants and one revoked
    soon = connection("ten_a", "cal_soon")
    soon.watching("chan-soon", None, at(24 * 60 + 30), at=at(0))
    later = connection("ten_b", "cal_later")
    later.watching("chan-later", None, at(24 * 60 + 60), at=at(0))
    far = connection("ten_a", "cal_far")
    far.watching("chan-far", None, at(7 * 24 * 60), at=at(0))
    gone = connection("ten_a", "cal_gone")
    gone.watching("chan-gone", None, at(24 * 60 + 10), at=at(0))
    gone.revoke("revoked", at=at(1))
    for item in (soon, later, far, gone):
        storage.calendars.save(item)

    # WHEN the renewal job asks at minute 90, then after one is renewed
    due = storage.calendars.due_for_renewal(at(90))
    renewed = storage.calendars.get("ten_a", "cal_soon")
    assert renewed is not None
    renewed.watching("chan-soon-2", None, at(8 * 24 * 60), at=at(90))
    storage.calendars.save(renewed)

    # THEN the two within the day come soonest first, and the renewed one leaves
    assert [c.connection_id for c in due] == ["cal_soon", "cal_later"]
    assert [c.connection_id for c in storage.calendars.due_for_renewal(at(90))] == ["cal_later"]
    assert storage.calendars.due_for_renewal(at(90) + timedelta(days=7), limit=1)[0].connection_id == "cal_later"


def test_a_stale_save_of_a_connection_is_rejected(storage: Storage) -> None:
    # GIVEN a connection read twice
    stored = storage.calendars.save(connection("ten_a", "cal_1"))
    stale = stored.model_copy(deep=True)

    # WHEN one copy records a sync and the stale one a failure
    stored.synced("sync-2", at=at(5))
    storage.calendars.save(stored)
    stale.failed("boom", at=at(6))

    # THEN the stale write is refused and the sync stands
    with pytest.raises(VersionConflict):
        storage.calendars.save(stale)
    found = storage.calendars.get("ten_a", "cal_1")
    assert found is not None
    assert found.sync_token == "sync-2"


def test_a_deleted_connection_is_gone_from_every_pattern(storage: Storage) -> None:
    # GIVEN a watched connection due for renewal
    watched = connection("ten_a", "cal_1")
    watched.watching("chan-1", "res-1", at(60), at=at(0))
    saved = storage.calendars.save(watched)

    # WHEN it is deleted (a person's erasure)
    storage.calendars.delete(saved)

    # THEN no access pattern finds it
    assert storage.calendars.get("ten_a", "cal_1") is None
    assert storage.calendars.list("ten_a") == []
    assert storage.calendars.by_watch("google", "chan-1") is None
    assert storage.calendars.due_for_renewal(at(60)) == []
