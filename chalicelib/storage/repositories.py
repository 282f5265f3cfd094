"""Repository interfaces: what the services need from storage, and nothing about how it is stored.

Each aggregate has one abstract repository here, a DynamoDB implementation
(``chalicelib.storage.dynamodb``) and an in-memory fake (``chalicelib.storage.memory``);
both pass the one contract suite in ``tests/contract``.

Writes use optimistic concurrency. An entity carries the ``version`` it was read at;
``save`` stores it only if the stored version is still that one (or, at version 0, if
nothing is stored yet), then returns the entity with ``version + 1``. A lost race raises
``VersionConflict``: the caller re-reads and re-applies its change.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from chalicelib.domain.matching_run import MatchingLease, MatchRun, MatchRunSummary
from chalicelib.domain.message import Message, MessageState
from chalicelib.domain.pair import Meeting, Pair, PairStatus
from chalicelib.domain.participant import Participant, ParticipantStatus
from chalicelib.domain.programme import Programme
from chalicelib.domain.tenant import ApiKey, Tenant
from chalicelib.domain.webhook import Delivery, DeliveryState, WebhookEndpoint

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; pass ``next_cursor`` back to get the next one (None = last page)."""

    items: list[T]
    next_cursor: str | None = None


class TenantRepository(ABC):
    @abstractmethod
    def add(self, tenant: Tenant) -> Tenant:
        """Store a new tenant; ``Conflict`` if the id exists."""

    @abstractmethod
    def get(self, tenant_id: str) -> Tenant | None: ...

    @abstractmethod
    def add_key(self, key: ApiKey) -> ApiKey:
        """Store a new API key; ``Conflict`` if its hash exists."""

    @abstractmethod
    def save_key(self, key: ApiKey) -> ApiKey: ...

    @abstractmethod
    def key_by_hash(self, key_hash: str) -> ApiKey | None: ...

    @abstractmethod
    def list_keys(self, tenant_id: str) -> list[ApiKey]: ...


class ProgrammeRepository(ABC):
    @abstractmethod
    def save(self, programme: Programme) -> Programme: ...

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str) -> Programme | None: ...

    @abstractmethod
    def list(self, tenant_id: str) -> list[Programme]: ...

    @abstractmethod
    def due_for_matching(self, on_or_before: datetime) -> builtins.list[Programme]:
        """Programmes of every tenant whose matching date has come (scheduled matching)."""


class ParticipantRepository(ABC):
    @abstractmethod
    def save(self, participant: Participant) -> Participant: ...

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, participant_id: str) -> Participant | None: ...

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


class PairRepository(ABC):
    @abstractmethod
    def save(self, pair: Pair) -> Pair: ...

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, pair_id: str) -> Pair | None: ...

    @abstractmethod
    def list(self, tenant_id: str, programme_id: str, *, status: PairStatus | None = None) -> list[Pair]: ...

    @abstractmethod
    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        """Open pairs of every tenant whose ``next_due_at`` has come, oldest first."""

    @abstractmethod
    def awaiting_mentor(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        """Approved pairs of every tenant whose mentor had to accept by then (``accept_by``), earliest first."""


class MatchRunRepository(ABC):
    """Matching runs of programmes, and each programme's matching lease."""

    @abstractmethod
    def add(self, run: MatchRun) -> MatchRun:
        """Store a run at version 1, whatever the length of its lists; ``Conflict`` if its id exists."""

    @abstractmethod
    def get(self, tenant_id: str, programme_id: str, run_id: str) -> MatchRun | None: ...

    @abstractmethod
    def list(self, tenant_id: str, programme_id: str) -> builtins.list[MatchRunSummary]:
        """The programme's runs without their per-person lists, newest first."""

    @abstractmethod
    def lease(self, tenant_id: str, programme_id: str) -> MatchingLease | None: ...

    @abstractmethod
    def save_lease(self, lease: MatchingLease) -> MatchingLease:
        """Create (version 0) or update a lease; ``VersionConflict`` when another run took it first."""


class MeetingRepository(ABC):
    @abstractmethod
    def save(self, meeting: Meeting) -> Meeting: ...

    @abstractmethod
    def by_external_id(self, tenant_id: str, source: str, external_id: str) -> Meeting | None: ...

    @abstractmethod
    def for_pair(self, tenant_id: str, programme_id: str, pair_id: str) -> list[Meeting]: ...


class EndpointRepository(ABC):
    @abstractmethod
    def save(self, endpoint: WebhookEndpoint) -> WebhookEndpoint: ...

    @abstractmethod
    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        """By id alone: the webhook route learns the tenant from the endpoint."""

    @abstractmethod
    def list(self, tenant_id: str) -> list[WebhookEndpoint]: ...

    @abstractmethod
    def delete(self, endpoint: WebhookEndpoint) -> None: ...


class DeliveryRepository(ABC):
    @abstractmethod
    def add(self, delivery: Delivery) -> bool:
        """Store a delivery unless one with the same endpoint and delivery id exists. True if stored now."""

    @abstractmethod
    def save(self, delivery: Delivery) -> Delivery: ...

    @abstractmethod
    def get(self, endpoint_id: str, delivery_id: str) -> Delivery | None: ...

    @abstractmethod
    def for_endpoint(
        self, endpoint_id: str, *, state: DeliveryState | None = None, limit: int = 100
    ) -> list[Delivery]: ...

    @abstractmethod
    def by_state(self, state: DeliveryState, *, due_before: datetime | None = None, limit: int = 100) -> list[Delivery]:
        """Deliveries of every tenant in a state that needs work (retrying, dead, needs attention), oldest first."""


class MessageRepository(ABC):
    @abstractmethod
    def add(self, message: Message) -> bool:
        """Queue a message unless one with the same id (from its idempotency key) exists. True if queued now."""

    @abstractmethod
    def save(self, message: Message) -> Message: ...

    @abstractmethod
    def get(self, tenant_id: str, message_id: str) -> Message | None: ...

    @abstractmethod
    def by_state(self, state: MessageState, *, due_before: datetime | None = None, limit: int = 100) -> list[Message]:
        """Messages of every tenant in ``state`` (pending or failed), oldest first."""

    @abstractmethod
    def for_participant(self, tenant_id: str, participant_id: str) -> list[Message]: ...

    @abstractmethod
    def delete(self, message: Message) -> None:
        """Remove the message for good (erasure)."""


@dataclass
class Storage:
    """All repositories of one storage backend, handed to services as one dependency."""

    tenants: TenantRepository
    programmes: ProgrammeRepository
    participants: ParticipantRepository
    pairs: PairRepository
    meetings: MeetingRepository
    endpoints: EndpointRepository
    deliveries: DeliveryRepository
    messages: MessageRepository
    runs: MatchRunRepository


__all__ = [
    "DeliveryRepository",
    "EndpointRepository",
    "MatchRunRepository",
    "MeetingRepository",
    "MessageRepository",
    "Page",
    "PairRepository",
    "ParticipantRepository",
    "ProgrammeRepository",
    "Storage",
    "TenantRepository",
]
