"""In-memory repositories: the fakes services are unit-tested with, held to the same contract as DynamoDB.

They copy on every read and write so that, as with a real table, changing a returned
object changes nothing stored until it is saved.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from chalicelib.domain.common import DomainModel
from chalicelib.domain.matching_run import MatchingLease, MatchRun, MatchRunSummary
from chalicelib.domain.message import Message, MessageState
from chalicelib.domain.pair import OPEN_PAIR_STATUSES, Meeting, Pair, PairStatus
from chalicelib.domain.participant import Participant, ParticipantStatus
from chalicelib.domain.programme import Programme
from chalicelib.domain.tenant import ApiKey, Tenant
from chalicelib.domain.webhook import Delivery, DeliveryState, WebhookEndpoint
from chalicelib.errors import Conflict, ValidationFailed, VersionConflict
from chalicelib.storage.repositories import (
    DeliveryRepository,
    EndpointRepository,
    MatchRunRepository,
    MeetingRepository,
    MessageRepository,
    Page,
    PairRepository,
    ParticipantRepository,
    ProgrammeRepository,
    Storage,
    TenantRepository,
)

E = TypeVar("E", bound=DomainModel)
K = TypeVar("K")


class _VersionedStore(dict[K, E]):
    """A dict of entities with the optimistic-concurrency rule of ``save``."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def put_versioned(self, key: K, entity: E) -> E:
        with self.lock:
            current = self.get(key)
            stored_version = current.version if current is not None else 0
            if stored_version != entity.version:
                raise VersionConflict("the record was changed by someone else; read it again")
            saved = entity.model_copy(deep=True, update={"version": entity.version + 1})
            self[key] = saved
            return saved.model_copy(deep=True)

    def put_new(self, key: K, entity: E) -> bool:
        with self.lock:
            if key in self:
                return False
            self[key] = entity.model_copy(deep=True, update={"version": 1})
            return True

    def read(self, key: K) -> E | None:
        found = self.get(key)
        return None if found is None else found.model_copy(deep=True)

    def select(self, keep: Callable[[E], bool], order: Callable[[E], object]) -> list[E]:
        with self.lock:
            chosen = [e for e in self.values() if keep(e)]
        return [e.model_copy(deep=True) for e in sorted(chosen, key=order)]  # type: ignore[arg-type]

    def select_page(
        self, keep: Callable[[E], bool], order: Callable[[E], object], limit: int, cursor: str | None
    ) -> Page[E]:
        # Only the page is copied: reading a 20,000-person programme page by page stays linear.
        with self.lock:
            chosen = [e for e in self.values() if keep(e)]
        page = _paginate(sorted(chosen, key=order), limit, cursor)  # type: ignore[arg-type]
        return Page(items=[e.model_copy(deep=True) for e in page.items], next_cursor=page.next_cursor)


def _paginate(items: list[E], limit: int, cursor: str | None) -> Page[E]:
    if cursor is not None and not (cursor.isascii() and cursor.isdigit()):
        raise ValidationFailed("the cursor is not valid for this listing")
    start = int(cursor) if cursor else 0
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return Page(items=chunk, next_cursor=str(start + limit) if more else None)


class InMemoryTenants(TenantRepository):
    def __init__(self) -> None:
        self.tenants: _VersionedStore[str, Tenant] = _VersionedStore()
        self.keys: _VersionedStore[str, ApiKey] = _VersionedStore()

    def add(self, tenant: Tenant) -> Tenant:
        if not self.tenants.put_new(tenant.tenant_id, tenant):
            raise Conflict("tenant exists")
        return self.tenants.read(tenant.tenant_id)  # type: ignore[return-value]

    def get(self, tenant_id: str) -> Tenant | None:
        return self.tenants.read(tenant_id)

    def add_key(self, key: ApiKey) -> ApiKey:
        if not self.keys.put_new(key.key_hash, key):
            raise Conflict("API key exists")
        return self.keys.read(key.key_hash)  # type: ignore[return-value]

    def save_key(self, key: ApiKey) -> ApiKey:
        return self.keys.put_versioned(key.key_hash, key)

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        return self.keys.read(key_hash)

    def list_keys(self, tenant_id: str) -> list[ApiKey]:
        return self.keys.select(lambda k: k.tenant_id == tenant_id, lambda k: k.key_id)


class InMemoryProgrammes(ProgrammeRepository):
    def __init__(self) -> None:
        self.items: _VersionedStore[tuple[str, str], Programme] = _VersionedStore()

    def save(self, programme: Programme) -> Programme:
        return self.items.put_versioned((programme.tenant_id, programme.programme_id), programme)

    def get(self, tenant_id: str, programme_id: str) -> Programme | None:
        return self.items.read((tenant_id, programme_id))

    def list(self, tenant_id: str) -> list[Programme]:
        return self.items.select(lambda p: p.tenant_id == tenant_id, lambda p: p.programme_id)

    def due_for_matching(self, on_or_before: datetime) -> builtins.list[Programme]:
        day = on_or_before.date()
        return self.items.select(
            lambda p: p.matching_date is not None and p.matching_date <= day,
            lambda p: (p.matching_date, p.tenant_id, p.programme_id),
        )


class InMemoryParticipants(ParticipantRepository):
    def __init__(self) -> None:
        self.items: _VersionedStore[tuple[str, str, str], Participant] = _VersionedStore()

    def save(self, participant: Participant) -> Participant:
        key = (participant.tenant_id, participant.programme_id, participant.participant_id)
        return self.items.put_versioned(key, participant)

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
        with self.items.lock:
            self.items.pop((participant.tenant_id, participant.programme_id, participant.participant_id), None)


class InMemoryPairs(PairRepository):
    def __init__(self) -> None:
        self.items: _VersionedStore[tuple[str, str, str], Pair] = _VersionedStore()

    def save(self, pair: Pair) -> Pair:
        return self.items.put_versioned((pair.tenant_id, pair.programme_id, pair.pair_id), pair)

    def get(self, tenant_id: str, programme_id: str, pair_id: str) -> Pair | None:
        return self.items.read((tenant_id, programme_id, pair_id))

    def list(self, tenant_id: str, programme_id: str, *, status: PairStatus | None = None) -> list[Pair]:
        return self.items.select(
            lambda p: (
                p.tenant_id == tenant_id and p.programme_id == programme_id and (status is None or p.status == status)
            ),
            lambda p: p.pair_id,
        )

    def due(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        chosen = self.items.select(
            lambda p: p.next_due_at is not None and p.status in OPEN_PAIR_STATUSES and p.next_due_at <= at_or_before,
            lambda p: (p.next_due_at, p.pair_id),
        )
        return chosen[:limit]

    def awaiting_mentor(self, at_or_before: datetime, *, limit: int = 100) -> builtins.list[Pair]:
        chosen = self.items.select(
            lambda p: p.awaiting_mentor and p.accept_by is not None and p.accept_by <= at_or_before,
            lambda p: (p.accept_by, p.pair_id),
        )
        return chosen[:limit]


class InMemoryMatchRuns(MatchRunRepository):
    def __init__(self) -> None:
        self.items: _VersionedStore[tuple[str, str, str], MatchRun] = _VersionedStore()
        self.leases: _VersionedStore[tuple[str, str], MatchingLease] = _VersionedStore()

    def add(self, run: MatchRun) -> MatchRun:
        if not self.items.put_new((run.tenant_id, run.programme_id, run.run_id), run):
            raise Conflict("matching run exists")
        return run.model_copy(deep=True, update={"version": 1})

    def get(self, tenant_id: str, programme_id: str, run_id: str) -> MatchRun | None:
        return self.items.read((tenant_id, programme_id, run_id))

    def list(self, tenant_id: str, programme_id: str) -> builtins.list[MatchRunSummary]:
        runs = self.items.select(
            lambda r: r.tenant_id == tenant_id and r.programme_id == programme_id,
            lambda r: r.run_id,
        )
        return _newest_first([r.summary() for r in runs])

    def lease(self, tenant_id: str, programme_id: str) -> MatchingLease | None:
        return self.leases.read((tenant_id, programme_id))

    def save_lease(self, lease: MatchingLease) -> MatchingLease:
        return self.leases.put_versioned((lease.tenant_id, lease.programme_id), lease)


def _newest_first(runs: Iterable[MatchRunSummary]) -> list[MatchRunSummary]:
    return sorted(runs, key=lambda r: (r.requested_at, r.run_id), reverse=True)


class InMemoryMeetings(MeetingRepository):
    def __init__(self) -> None:
        self.items: _VersionedStore[tuple[str, str, str], Meeting] = _VersionedStore()

    def save(self, meeting: Meeting) -> Meeting:
        return self.items.put_versioned((meeting.tenant_id, meeting.programme_id, meeting.meeting_id), meeting)

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


class InMemoryEndpoints(EndpointRepository):
    def __init__(self) -> None:
        self.items: _VersionedStore[str, WebhookEndpoint] = _VersionedStore()

    def save(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        return self.items.put_versioned(endpoint.endpoint_id, endpoint)

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self.items.read(endpoint_id)

    def list(self, tenant_id: str) -> list[WebhookEndpoint]:
        return self.items.select(lambda e: e.tenant_id == tenant_id, lambda e: e.endpoint_id)

    def delete(self, endpoint: WebhookEndpoint) -> None:
        with self.items.lock:
            self.items.pop(endpoint.endpoint_id, None)


# Received deliveries are listed too: one still "received" after its next_attempt_at was interrupted.
_WORK_STATES = frozenset(
    {DeliveryState.RECEIVED, DeliveryState.RETRYING, DeliveryState.DEAD, DeliveryState.NEEDS_ATTENTION}
)


class InMemoryDeliveries(DeliveryRepository):
    def __init__(self) -> None:
        self.items: _VersionedStore[tuple[str, str], Delivery] = _VersionedStore()

    def add(self, delivery: Delivery) -> bool:
        return self.items.put_new((delivery.endpoint_id, delivery.delivery_id), delivery)

    def save(self, delivery: Delivery) -> Delivery:
        return self.items.put_versioned((delivery.endpoint_id, delivery.delivery_id), delivery)

    def get(self, endpoint_id: str, delivery_id: str) -> Delivery | None:
        return self.items.read((endpoint_id, delivery_id))

    def for_endpoint(self, endpoint_id: str, *, state: DeliveryState | None = None, limit: int = 100) -> list[Delivery]:
        chosen = self.items.select(
            lambda d: d.endpoint_id == endpoint_id and (state is None or d.state == state),
            lambda d: d.delivery_id,
        )
        return chosen[:limit]

    def by_state(self, state: DeliveryState, *, due_before: datetime | None = None, limit: int = 100) -> list[Delivery]:
        if state not in _WORK_STATES:
            return []
        chosen = self.items.select(
            lambda d: d.state == state and (due_before is None or _due_time(d) <= due_before),
            lambda d: (_due_time(d), d.endpoint_id, d.delivery_id),
        )
        return chosen[:limit]


def _due_time(delivery: Delivery) -> datetime:
    return delivery.next_attempt_at or delivery.updated_at


class InMemoryMessages(MessageRepository):
    def __init__(self) -> None:
        self.items: _VersionedStore[tuple[str, str], Message] = _VersionedStore()

    def add(self, message: Message) -> bool:
        return self.items.put_new((message.tenant_id, message.message_id), message)

    def save(self, message: Message) -> Message:
        return self.items.put_versioned((message.tenant_id, message.message_id), message)

    def get(self, tenant_id: str, message_id: str) -> Message | None:
        return self.items.read((tenant_id, message_id))

    def by_state(self, state: MessageState, *, due_before: datetime | None = None, limit: int = 100) -> list[Message]:
        if MessageState(state) is MessageState.SENT:
            return []
        chosen = self.items.select(
            lambda m: m.state == state and (due_before is None or _message_due(m) <= due_before),
            lambda m: (_message_due(m), m.message_id),
        )
        return chosen[:limit]

    def for_participant(self, tenant_id: str, participant_id: str) -> list[Message]:
        return self.items.select(
            lambda m: m.tenant_id == tenant_id and m.participant_id == participant_id,
            lambda m: (m.created_at, m.message_id),
        )

    def delete(self, message: Message) -> None:
        with self.items.lock:
            self.items.pop((message.tenant_id, message.message_id), None)

    @property
    def all(self) -> Iterable[Message]:
        return self.items.select(lambda m: True, lambda m: (m.created_at, m.message_id))


def _message_due(message: Message) -> datetime:
    return message.not_before or message.created_at


def in_memory_storage() -> Storage:
    return Storage(
        tenants=InMemoryTenants(),
        programmes=InMemoryProgrammes(),
        participants=InMemoryParticipants(),
        pairs=InMemoryPairs(),
        meetings=InMemoryMeetings(),
        endpoints=InMemoryEndpoints(),
        deliveries=InMemoryDeliveries(),
        messages=InMemoryMessages(),
        runs=InMemoryMatchRuns(),
    )
