"""Synced people's fingerprints and claims: the repository, the item layout, DynamoDB (batched writes) and the fake.

A fingerprint is a cache of what the last sync saw: writes are unconditional and
batched (a lost race costs one more comparison next time), and every item carries an
``expires_at`` that DynamoDB's TTL honours. A claim says which employee id a participant
belongs to; claims sit in their own partition so that listing fingerprints never reads one.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Iterable

from chalicelib.domain.sync import SyncedClaim, SyncedPerson
from chalicelib.storage import keys
from chalicelib.storage.base import DynamoRepository, Key
from chalicelib.storage.codec import PK, SK
from chalicelib.storage.registry import register_entity, to_item


class SyncedPersonRepository(ABC):
    @abstractmethod
    def get(self, tenant_id: str, connector_id: str, external_id: str) -> SyncedPerson | None: ...

    @abstractmethod
    def put_many(self, people: Iterable[SyncedPerson]) -> int:
        """Store each fingerprint as given (no version check), in batches; returns how many were written."""

    @abstractmethod
    def list(self, tenant_id: str, connector_id: str) -> builtins.list[SyncedPerson]: ...

    @abstractmethod
    def delete_all(self, tenant_id: str, connector_id: str) -> None:
        """Forget every fingerprint and claim of a connector (it is deleted, or now reads other ids)."""

    @abstractmethod
    def claim_many(self, claims: Iterable[SyncedClaim]) -> int:
        """Store each claim as given, in batches; returns how many were written."""

    @abstractmethod
    def owners(self, tenant_id: str, connector_id: str, participant_ids: Iterable[str]) -> dict[str, str]:
        """The employee id each of the participants is claimed by, for those claimed."""

    @abstractmethod
    def unclaim(self, tenant_id: str, connector_id: str, participant_ids: Iterable[str]) -> int:
        """Delete the claims of these participants (they were erased); how many there were."""


def synced_person_key(tenant_id: str, connector_id: str, external_id: str) -> dict[str, str]:
    return {PK: keys.synced_people_pk(tenant_id, connector_id), SK: keys.synced_person_sk(external_id)}


@register_entity("synced_person", SyncedPerson)
def _synced_person_attributes(person: SyncedPerson) -> dict[str, str]:
    return synced_person_key(person.tenant_id, person.connector_id, person.external_id)


def synced_claim_key(tenant_id: str, connector_id: str, participant_id: str) -> dict[str, str]:
    return {PK: keys.synced_claims_pk(tenant_id, connector_id), SK: keys.synced_claim_sk(participant_id)}


@register_entity("synced_claim", SyncedClaim)
def _synced_claim_attributes(claim: SyncedClaim) -> dict[str, str]:
    return synced_claim_key(claim.tenant_id, claim.connector_id, claim.participant_id)


class DynamoSyncedPeople(DynamoRepository, SyncedPersonRepository):
    def get(self, tenant_id: str, connector_id: str, external_id: str) -> SyncedPerson | None:
        return self._get(synced_person_key(tenant_id, connector_id, external_id), SyncedPerson)

    def put_many(self, people: Iterable[SyncedPerson]) -> int:
        written = 0
        # batch_writer groups puts by 25 and resends what DynamoDB leaves unprocessed.
        with self._table.batch_writer() as batch:
            for person in people:
                batch.put_item(Item=to_item(person))
                written += 1
        return written

    def list(self, tenant_id: str, connector_id: str) -> builtins.list[SyncedPerson]:
        return self._query(
            SyncedPerson,
            KeyConditionExpression=Key(PK).eq(keys.synced_people_pk(tenant_id, connector_id)),
            ConsistentRead=True,
        )

    def delete_all(self, tenant_id: str, connector_id: str) -> None:
        claims = self._query(
            SyncedClaim,
            KeyConditionExpression=Key(PK).eq(keys.synced_claims_pk(tenant_id, connector_id)),
            ConsistentRead=True,
        )
        with self._table.batch_writer() as batch:
            for person in self.list(tenant_id, connector_id):
                batch.delete_item(Key=synced_person_key(tenant_id, connector_id, person.external_id))
            for claim in claims:
                batch.delete_item(Key=synced_claim_key(tenant_id, connector_id, claim.participant_id))

    def claim_many(self, claims: Iterable[SyncedClaim]) -> int:
        written = 0
        with self._table.batch_writer() as batch:
            for claim in claims:
                batch.put_item(Item=to_item(claim))
                written += 1
        return written

    def owners(self, tenant_id: str, connector_id: str, participant_ids: Iterable[str]) -> dict[str, str]:
        found = {}
        # A person is in a handful of programmes at most: a few reads, no batch needed.
        for participant_id in dict.fromkeys(participant_ids):
            claim = self._get(synced_claim_key(tenant_id, connector_id, participant_id), SyncedClaim)
            if claim is not None:
                found[participant_id] = claim.external_id
        return found

    def unclaim(self, tenant_id: str, connector_id: str, participant_ids: Iterable[str]) -> int:
        claimed = self.owners(tenant_id, connector_id, participant_ids)
        with self._table.batch_writer() as batch:
            for participant_id in claimed:
                batch.delete_item(Key=synced_claim_key(tenant_id, connector_id, participant_id))
        return len(claimed)


class InMemorySyncedPeople(SyncedPersonRepository):
    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], SyncedPerson] = {}
        self.claims: dict[tuple[str, str, str], SyncedClaim] = {}

    def get(self, tenant_id: str, connector_id: str, external_id: str) -> SyncedPerson | None:
        found = self.items.get((tenant_id, connector_id, external_id))
        return None if found is None else found.model_copy(deep=True)

    def put_many(self, people: Iterable[SyncedPerson]) -> int:
        written = 0
        for person in people:
            self.items[(person.tenant_id, person.connector_id, person.external_id)] = person.model_copy(deep=True)
            written += 1
        return written

    def list(self, tenant_id: str, connector_id: str) -> builtins.list[SyncedPerson]:
        chosen = [p for (t, c, _), p in self.items.items() if t == tenant_id and c == connector_id]
        return [p.model_copy(deep=True) for p in sorted(chosen, key=lambda p: p.external_id)]

    def delete_all(self, tenant_id: str, connector_id: str) -> None:
        for key in [k for k in self.items if k[0] == tenant_id and k[1] == connector_id]:
            del self.items[key]
        for key in [k for k in self.claims if k[0] == tenant_id and k[1] == connector_id]:
            del self.claims[key]

    def claim_many(self, claims: Iterable[SyncedClaim]) -> int:
        written = 0
        for claim in claims:
            self.claims[(claim.tenant_id, claim.connector_id, claim.participant_id)] = claim.model_copy(deep=True)
            written += 1
        return written

    def owners(self, tenant_id: str, connector_id: str, participant_ids: Iterable[str]) -> dict[str, str]:
        found = {}
        for participant_id in participant_ids:
            claim = self.claims.get((tenant_id, connector_id, participant_id))
            if claim is not None:
                found[participant_id] = claim.external_id
        return found

    def unclaim(self, tenant_id: str, connector_id: str, participant_ids: Iterable[str]) -> int:
        doomed = {(tenant_id, connector_id, participant_id) for participant_id in participant_ids}
        gone = [key for key in self.claims if key in doomed]
        for key in gone:
            del self.claims[key]
        return len(gone)
