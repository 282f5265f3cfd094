"""Contract of MailboxEventRepository: a mailbox's event id leads to the meeting's iCalendar UID, per tenant."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.calendars import MailboxEvent
from tests.support.builders import at

if TYPE_CHECKING:
    from chalicelib.storage.repositories import Storage


def test_a_mailbox_event_id_is_found_in_its_tenant_and_a_later_sighting_replaces_it(storage: Storage) -> None:
    # GIVEN a pointer remembered, then remembered again with a later expiry
    first = MailboxEvent(tenant_id="ten_a", event_id="AAMkADI5=", ical_uid="040000008200E0", expires_at=at(10))
    storage.mailbox_events.remember(first)
    storage.mailbox_events.remember(first.model_copy(update={"expires_at": at(10) + timedelta(days=1)}))

    # WHEN it is read in its tenant and in another
    found = storage.mailbox_events.get("ten_a", "AAMkADI5=")
    elsewhere = storage.mailbox_events.get("ten_b", "AAMkADI5=")

    # THEN its tenant has the latest, the other none
    assert found is not None
    assert (found.ical_uid, found.expires_at) == ("040000008200E0", at(10) + timedelta(days=1))
    assert elsewhere is None
    assert storage.mailbox_events.get("ten_a", "AAMkOTHER=") is None
