"""Programme events and their invitations: the repository, the items (a sparse reminder index), DynamoDB and the fake.

An invitation sits in the reminder index only while its holder said yes and a reminder
is left. Both carry an ``expires_at`` (TTL) some time after the event.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from datetime import datetime

from chalicelib.domain.events import Invitation, ProgrammeEvent
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, TIME_RESOLUTION, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity


class EventRepository(ABC):
    @abstractmethod
    def save(self, event: ProgrammeEvent) -> ProgrammeEvent: ...

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, event_id: str) -> ProgrammeEvent | None: ...

    @abstractmethod
    def list(self, tenant_id: str, programme_id: str) -> builtins.list[ProgrammeEvent]:
        """The programme's events in id order."""

    @abstractmethod
    def add_invitation(self, invitation: Invitation) -> bool:
        """Store an invitation unless the person is invited already. True if this call stored it."""

    @abstractmethod
    def save_invitation(self, invitation: Invitation) -> Invitation: ...

    @abstractmethod
    def get_invitation(
        self, tenant_id: str, programme_id: str, event_id: str, participant_id: str
    ) -> Invitation | None: ...

    @abstractmethod
    def invitations(self, tenant_id: str, programme_id: str, event_id: str) -> builtins.list[Invitation]:
        """Every invitation of one event, in participant id order."""

    @abstractmethod
    def reminders_due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Invitation]:
        """Invitations of every tenant whose next reminder has come, oldest first."""


def event_key(tenant_id: str, programme_id: str, event_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.event_sk(event_id)}


def invitation_item_key(tenant_id: str, programme_id: str, event_id: str, participant_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.invitation_sk(event_id, participant_id)}


@register_entity("programme_event", ProgrammeEvent)
def _event_attributes(event: ProgrammeEvent) -> dict[str, str]:
    return event_key(event.tenant_id, event.programme_id, event.event_id)


@register_entity("invitation", Invitation)
def _invitation_attributes(invitation: Invitation) -> dict[str, str]:
    i = invitation
    attributes = invitation_item_key(i.tenant_id, i.programme_id, i.event_id, i.participant_id)
    if i.remind_at is not None:
        attributes[GSI1PK] = keys.EVENT_REMINDERS_DUE_GSI1
        attributes[GSI1SK] = keys.due_gsi_sk(i.remind_at, i.tenant_id, i.programme_id, i.event_id, i.participant_id)
    return attributes


class DynamoEvents(DynamoRepository, EventRepository):
    def save(self, event: ProgrammeEvent) -> ProgrammeEvent:
        return self._save(event)

    def get(self, tenant_id: str, programme_id: str, event_id: str) -> ProgrammeEvent | None:
        return self._get(event_key(tenant_id, programme_id, event_id), ProgrammeEvent)

    def list(self, tenant_id: str, programme_id: str) -> builtins.list[ProgrammeEvent]:
        return self._query(
            ProgrammeEvent,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.EVENT_SK_PREFIX),
            ConsistentRead=True,
        )

    def add_invitation(self, invitation: Invitation) -> bool:
        return self._add_once(invitation)

    def save_invitation(self, invitation: Invitation) -> Invitation:
        return self._save(invitation)

    def get_invitation(
        self, tenant_id: str, programme_id: str, event_id: str, participant_id: str
    ) -> Invitation | None:
        return self._get(invitation_item_key(tenant_id, programme_id, event_id, participant_id), Invitation)

    def invitations(self, tenant_id: str, programme_id: str, event_id: str) -> builtins.list[Invitation]:
        return self._query(
            Invitation,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.invitations_of_event_prefix(event_id)),
            ConsistentRead=True,
        )

    def reminders_due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Invitation]:
        if limit < 1:
            return []
        return self._query(
            Invitation,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.EVENT_REMINDERS_DUE_GSI1)
            & Key(GSI1SK).lt(keys.due_gsi_sk(at_or_before + TIME_RESOLUTION)),
        )


class InMemoryEvents(EventRepository):
    def __init__(self) -> None:
        self.events: VersionedStore[tuple[str, str, str], ProgrammeEvent] = VersionedStore()
        self.items: VersionedStore[tuple[str, str, str, str], Invitation] = VersionedStore()

    def save(self, event: ProgrammeEvent) -> ProgrammeEvent:
        return self.events.put_versioned((event.tenant_id, event.programme_id, event.event_id), event)

    def get(self, tenant_id: str, programme_id: str, event_id: str) -> ProgrammeEvent | None:
        return self.events.read((tenant_id, programme_id, event_id))

    def list(self, tenant_id: str, programme_id: str) -> builtins.list[ProgrammeEvent]:
        return self.events.select(
            lambda e: e.tenant_id == tenant_id and e.programme_id == programme_id, lambda e: e.event_id
        )

    @staticmethod
    def _key(i: Invitation) -> tuple[str, str, str, str]:
        return (i.tenant_id, i.programme_id, i.event_id, i.participant_id)

    def add_invitation(self, invitation: Invitation) -> bool:
        return self.items.put_new(self._key(invitation), invitation)

    def save_invitation(self, invitation: Invitation) -> Invitation:
        return self.items.put_versioned(self._key(invitation), invitation)

    def get_invitation(
        self, tenant_id: str, programme_id: str, event_id: str, participant_id: str
    ) -> Invitation | None:
        return self.items.read((tenant_id, programme_id, event_id, participant_id))

    def invitations(self, tenant_id: str, programme_id: str, event_id: str) -> builtins.list[Invitation]:
        return self.items.select(
            lambda i: (i.tenant_id, i.programme_id, i.event_id) == (tenant_id, programme_id, event_id),
            lambda i: i.participant_id,
        )

    def reminders_due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Invitation]:
        chosen = self.items.select(
            lambda i: i.remind_at is not None and i.remind_at <= at_or_before,
            lambda i: (i.remind_at, i.tenant_id, i.programme_id, i.event_id, i.participant_id),
        )
        return chosen[: max(limit, 0)]
