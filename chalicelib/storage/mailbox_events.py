"""Mailbox event ids of Graph meetings: the repository, the item layout, DynamoDB and the in-memory fake.

One small item per mailbox copy of a pair's event, written whole on every sighting and
removed by TTL (``MailboxEvent.expires_at``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from chalicelib.domain.calendars import MailboxEvent
from chalicelib.storage import keys
from chalicelib.storage.base import DynamoRepository, VersionedStore
from chalicelib.storage.codec import PK, SK
from chalicelib.storage.registry import register_entity


class MailboxEventRepository(ABC):
    @abstractmethod
    def remember(self, pointer: MailboxEvent) -> None:
        """Store the pointer, replacing an earlier one of the same mailbox event (its expiry moves on)."""

    @abstractmethod
    def get(self, tenant_id: str, event_id: str) -> MailboxEvent | None: ...


def mailbox_event_key(tenant_id: str, event_id: str) -> dict[str, str]:
    return {PK: keys.mailbox_event_pk(tenant_id, event_id), SK: keys.MAILBOX_EVENT_SK}


@register_entity("mailbox_event", MailboxEvent)
def _mailbox_event_attributes(pointer: MailboxEvent) -> dict[str, str]:
    return mailbox_event_key(pointer.tenant_id, pointer.event_id)


class DynamoMailboxEvents(DynamoRepository, MailboxEventRepository):
    """Found by the mailbox's event id alone, the one thing a Graph deletion names."""

    def remember(self, pointer: MailboxEvent) -> None:
        # Ids only, the same ones on every sighting: the last write may simply win.
        self._put_unconditionally(pointer.model_copy(update={"version": 1}))

    def get(self, tenant_id: str, event_id: str) -> MailboxEvent | None:
        return self._get(mailbox_event_key(tenant_id, event_id), MailboxEvent)


class InMemoryMailboxEvents(MailboxEventRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str], MailboxEvent] = VersionedStore()

    def remember(self, pointer: MailboxEvent) -> None:
        with self.items.lock:
            self.items[(pointer.tenant_id, pointer.event_id)] = pointer.model_copy(update={"version": 1})

    def get(self, tenant_id: str, event_id: str) -> MailboxEvent | None:
        return self.items.read((tenant_id, event_id))
