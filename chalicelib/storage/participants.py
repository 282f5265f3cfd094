"""Participants: the repository, the item layout (status and e-mail indexes), DynamoDB and the in-memory fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Iterable

from chalicelib.domain.participant import Participant, ParticipantStatus
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, GSI2, DynamoRepository, Key, Page, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK
from chalicelib.storage.registry import register_entity


class ParticipantRepository(ABC):
    @abstractmethod
    def save(self, participant: Participant) -> Participant: ...

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, participant_id: str) -> Participant | None: ...

    def get_many(self, tenant_id: str, programme_id: str, participant_ids: Iterable[str]) -> dict[str, Participant]:
        """The participants of these ids that exist, by id (on DynamoDB a hundred per request)."""
        found = (self.get(tenant_id, programme_id, participant_id) for participant_id in set(participant_ids))
        return {p.participant_id: p for p in found if p is not None}

    @abstractmethod
    def list(
        self,
        tenant_id: str,
        programme_id: str,
        *,
        status: ParticipantStatus | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Participant]:
        """Participants of a programme, optionally of one status, in a stable order."""

    @abstractmethod
    def by_email(self, tenant_id: str, email: str) -> builtins.list[Participant]:
        """Every enrolment of one person (normalised e-mail) across the tenant's programmes."""

    @abstractmethod
    def delete(self, participant: Participant) -> None:
        """Remove the record for good (erasure)."""


def participant_key(tenant_id: str, programme_id: str, participant_id: str) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.participant_sk(participant_id)}


@register_entity("participant", Participant)
def _participant_attributes(participant: Participant) -> dict[str, str]:
    # Index sort keys that keys.py leaves open are what the fake orders by, so both backends list alike.
    return {
        **participant_key(participant.tenant_id, participant.programme_id, participant.participant_id),
        GSI1PK: keys.participants_by_status_gsi1(
            participant.tenant_id, participant.programme_id, participant.status.value
        ),
        GSI1SK: keys.participant_sk(participant.participant_id),
        GSI2PK: keys.participant_email_gsi2(participant.tenant_id, participant.email),
        GSI2SK: keys.programme_sk(participant.programme_id),
    }


class DynamoParticipants(DynamoRepository, ParticipantRepository):
    """Participants of programmes on DynamoDB, by id, by status and by e-mail."""

    def save(self, participant: Participant) -> Participant:
        """Create (version 0) or update a participant; its status and e-mail index entries follow.

        Raises
        ------
        VersionConflict
            When the stored participant is not at ``participant.version``.
        """
        return self._save(participant)

    def get(self, tenant_id: str, programme_id: str, participant_id: str) -> Participant | None:
        return self._get(participant_key(tenant_id, programme_id, participant_id), Participant)

    def get_many(self, tenant_id: str, programme_id: str, participant_ids: Iterable[str]) -> dict[str, Participant]:
        wanted = [participant_key(tenant_id, programme_id, participant_id) for participant_id in participant_ids]
        return {p.participant_id: p for p in self._get_many(wanted, Participant)}

    def list(
        self,
        tenant_id: str,
        programme_id: str,
        *,
        status: ParticipantStatus | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Participant]:
        """One page of a programme's participants, by participant id.

        Raises
        ------
        ValidationFailed
            When ``cursor`` was not handed out by this same listing, or ``limit`` is below 1.
        """
        if status is None:
            partition = keys.programme_pk(tenant_id, programme_id)
            prefix = keys.PARTICIPANT_SK_PREFIX
            return self._query_page(
                Participant,
                limit=limit,
                cursor=cursor,
                position=(PK, SK),
                partition=(PK, partition),
                sort_prefix=(SK, prefix),
                KeyConditionExpression=Key(PK).eq(partition) & Key(SK).begins_with(prefix),
                ConsistentRead=True,
            )
        by_status = keys.participants_by_status_gsi1(tenant_id, programme_id, status.value)
        return self._query_page(
            Participant,
            limit=limit,
            cursor=cursor,
            position=(PK, SK, GSI1PK, GSI1SK),
            partition=(GSI1PK, by_status),
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(by_status),
        )

    def by_email(self, tenant_id: str, email: str) -> builtins.list[Participant]:
        return self._query(
            Participant,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.participant_email_gsi2(tenant_id, email)),
        )

    def delete(self, participant: Participant) -> None:
        self._delete(participant)


class InMemoryParticipants(ParticipantRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, str], Participant] = VersionedStore()

    def save(self, participant: Participant) -> Participant:
        return self.items.put_versioned(_key(participant), participant)

    def get(self, tenant_id: str, programme_id: str, participant_id: str) -> Participant | None:
        return self.items.read((tenant_id, programme_id, participant_id))

    def list(
        self,
        tenant_id: str,
        programme_id: str,
        *,
        status: ParticipantStatus | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[Participant]:
        return self.items.select_page(
            lambda p: (
                p.tenant_id == tenant_id and p.programme_id == programme_id and (status is None or p.status == status)
            ),
            lambda p: p.participant_id,
            limit,
            cursor,
        )

    def by_email(self, tenant_id: str, email: str) -> builtins.list[Participant]:
        return self.items.select(lambda p: p.tenant_id == tenant_id and p.email == email, lambda p: p.programme_id)

    def delete(self, participant: Participant) -> None:
        self.items.remove(_key(participant))


def _key(participant: Participant) -> tuple[str, str, str]:
    return (participant.tenant_id, participant.programme_id, participant.participant_id)
