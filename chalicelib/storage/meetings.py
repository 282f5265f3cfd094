"""Meetings of pairs: the repository, the item layout (vendor-id index), DynamoDB and the in-memory fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod

from chalicelib.domain.meetings import Meeting
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity


class MeetingRepository(ABC):
    @abstractmethod
    def save(self, meeting: Meeting) -> Meeting: ...

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, pair_id: str, meeting_id: str) -> Meeting | None: ...

    @abstractmethod
    def by_external_id(self, tenant_id: str, source: str, external_id: str) -> Meeting | None: ...

    @abstractmethod
    def for_pair(self, tenant_id: str, programme_id: str, pair_id: str) -> list[Meeting]: ...


def meeting_key(tenant_id: str, programme_id: str, pair_id: str, meeting_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.meeting_sk(pair_id, meeting_id)}


@register_entity("meeting", Meeting)
def _meeting_attributes(meeting: Meeting) -> dict[str, str]:
    return {
        **meeting_key(meeting.tenant_id, meeting.programme_id, meeting.pair_id, meeting.meeting_id),
        GSI1PK: keys.meeting_external_gsi1(meeting.tenant_id, meeting.source, meeting.external_id),
        GSI1SK: meeting.meeting_id,
    }


class DynamoMeetings(DynamoRepository, MeetingRepository):
    """Meetings of pairs on DynamoDB, also found by the calendar vendor's id."""

    def save(self, meeting: Meeting) -> Meeting:
        """Create (version 0) or update a meeting.

        Raises
        ------
        VersionConflict
            When the stored meeting is not at ``meeting.version``.
        """
        return self._save(meeting)

    def get(self, tenant_id: str, programme_id: str, pair_id: str, meeting_id: str) -> Meeting | None:
        return self._get(meeting_key(tenant_id, programme_id, pair_id, meeting_id), Meeting)

    def by_external_id(self, tenant_id: str, source: str, external_id: str) -> Meeting | None:
        found = self._query(
            Meeting,
            limit=1,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.meeting_external_gsi1(tenant_id, source, external_id)),
        )
        return found[0] if found else None

    def for_pair(self, tenant_id: str, programme_id: str, pair_id: str) -> builtins.list[Meeting]:
        return self._query(
            Meeting,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.meetings_of_pair_prefix(pair_id)),
            ConsistentRead=True,
        )


class InMemoryMeetings(MeetingRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, str], Meeting] = VersionedStore()

    def save(self, meeting: Meeting) -> Meeting:
        return self.items.put_versioned((meeting.tenant_id, meeting.programme_id, meeting.meeting_id), meeting)

    def get(self, tenant_id: str, programme_id: str, pair_id: str, meeting_id: str) -> Meeting | None:
        found = self.items.read((tenant_id, programme_id, meeting_id))
        return found if found is not None and found.pair_id == pair_id else None

    def by_external_id(self, tenant_id: str, source: str, external_id: str) -> Meeting | None:
        found = self.items.select(
            lambda m: m.tenant_id == tenant_id and m.source == source and m.external_id == external_id,
            lambda m: m.meeting_id,
        )
        return found[0] if found else None

    def for_pair(self, tenant_id: str, programme_id: str, pair_id: str) -> list[Meeting]:
        return self.items.select(
            lambda m: m.tenant_id == tenant_id and m.programme_id == programme_id and m.pair_id == pair_id,
            lambda m: m.meeting_id,
        )
