"""Open sync invitations: the repository, the items (a sparse index by next due time), DynamoDB and the fake.

The sweep reads the index, never the table: an invitation sits in it at its reminder
time, then at its closing time, and leaves it when it is deleted (answered or closed).
Each item carries an ``expires_at`` (TTL) a while after its closing.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from datetime import datetime

from chalicelib.domain.sync import OpenInvitation
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, TIME_RESOLUTION, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity


class SyncInvitationRepository(ABC):
    @abstractmethod
    def add(self, invitation: OpenInvitation) -> bool:
        """Store an invitation unless one is open for the person already. True if this call stored it."""

    @abstractmethod
    def save(self, invitation: OpenInvitation) -> OpenInvitation:
        """Update an invitation read before.

        Raises
        ------
        VersionConflict
            When the stored invitation is not at ``invitation.version``.
        """

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, participant_id: str) -> OpenInvitation | None: ...

    @abstractmethod
    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[OpenInvitation]:
        """Open invitations of every tenant whose reminder or closing has come, earliest first."""

    @abstractmethod
    def delete(self, invitation: OpenInvitation) -> None: ...


def sync_invitation_key(tenant_id: str, programme_id: str, participant_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.sync_invitation_sk(participant_id)}


@register_entity("sync_invitation", OpenInvitation)
def _invitation_attributes(invitation: OpenInvitation) -> dict[str, str]:
    i = invitation
    attributes = sync_invitation_key(i.tenant_id, i.programme_id, i.participant_id)
    attributes[GSI1PK] = keys.SYNC_INVITATIONS_DUE_GSI1
    attributes[GSI1SK] = keys.due_gsi_sk(i.next_due, i.tenant_id, i.programme_id, i.participant_id)
    return attributes


class DynamoSyncInvitations(DynamoRepository, SyncInvitationRepository):
    def add(self, invitation: OpenInvitation) -> bool:
        return self._add_once(invitation)

    def save(self, invitation: OpenInvitation) -> OpenInvitation:
        return self._save(invitation)

    def get(self, tenant_id: str, programme_id: str, participant_id: str) -> OpenInvitation | None:
        return self._get(sync_invitation_key(tenant_id, programme_id, participant_id), OpenInvitation)

    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[OpenInvitation]:
        if limit < 1:
            return []
        return self._query(
            OpenInvitation,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.SYNC_INVITATIONS_DUE_GSI1)
            & Key(GSI1SK).lt(keys.due_gsi_sk(at_or_before + TIME_RESOLUTION)),
        )

    def delete(self, invitation: OpenInvitation) -> None:
        self._delete(invitation)


class InMemorySyncInvitations(SyncInvitationRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, str], OpenInvitation] = VersionedStore()

    @staticmethod
    def _key(i: OpenInvitation) -> tuple[str, str, str]:
        return (i.tenant_id, i.programme_id, i.participant_id)

    def add(self, invitation: OpenInvitation) -> bool:
        return self.items.put_new(self._key(invitation), invitation)

    def save(self, invitation: OpenInvitation) -> OpenInvitation:
        return self.items.put_versioned(self._key(invitation), invitation)

    def get(self, tenant_id: str, programme_id: str, participant_id: str) -> OpenInvitation | None:
        return self.items.read((tenant_id, programme_id, participant_id))

    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[OpenInvitation]:
        chosen = self.items.select(
            lambda i: i.next_due <= at_or_before,
            lambda i: (i.next_due, i.tenant_id, i.programme_id, i.participant_id),
        )
        return chosen[: max(limit, 0)]

    def delete(self, invitation: OpenInvitation) -> None:
        self.items.remove(self._key(invitation))
