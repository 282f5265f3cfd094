"""Received webhook deliveries: the repository, the item layout (sparse state index), DynamoDB and the fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from chalicelib.domain.webhook import Delivery, DeliveryState
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, GSI2, Attr, DynamoRepository, Key, VersionedStore, due_condition
from chalicelib.storage.codec import GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, SK
from chalicelib.storage.registry import register_entity

# Only these states are swept for work; a delivery in any other state leaves the index. A
# delivery still "received" is listed too: its processing was interrupted after next_attempt_at.
LISTABLE_DELIVERY_STATES = frozenset(
    {DeliveryState.RECEIVED, DeliveryState.RETRYING, DeliveryState.DEAD, DeliveryState.NEEDS_ATTENTION}
)


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
    def delete(self, delivery: Delivery) -> None:
        """Remove the delivery for good (erasure, its endpoint's deletion)."""

    @abstractmethod
    def by_state(self, state: DeliveryState, *, due_before: datetime | None = None, limit: int = 100) -> list[Delivery]:
        """Deliveries of every tenant in a state that needs work (retrying, dead, needs attention), oldest first."""

    @abstractmethod
    def from_person(self, tenant_id: str, person: str) -> list[Delivery]:
        """The tenant's deliveries whose sender's keyed hash is ``person`` (erasure, export)."""


def delivery_key(endpoint_id: str, delivery_id: str) -> dict[str, str]:
    return {PK: keys.endpoint_pk(endpoint_id), SK: keys.delivery_sk(delivery_id)}


def _due_time(delivery: Delivery) -> datetime:
    return delivery.next_attempt_at or delivery.updated_at


@register_entity("delivery", Delivery)
def _delivery_attributes(delivery: Delivery) -> dict[str, str]:
    attributes = delivery_key(delivery.endpoint_id, delivery.delivery_id)
    if delivery.state in LISTABLE_DELIVERY_STATES:
        attributes[GSI1PK] = keys.deliveries_by_state_gsi1(delivery.state.value)
        attributes[GSI1SK] = keys.due_gsi_sk(_due_time(delivery), delivery.endpoint_id, delivery.delivery_id)
    if delivery.person is not None:
        attributes[GSI2PK] = keys.delivery_sender_gsi2(delivery.tenant_id, delivery.person)
        attributes[GSI2SK] = f"{delivery.endpoint_id}#{delivery.delivery_id}"
    return attributes


class DynamoDeliveries(DynamoRepository, DeliveryRepository):
    """Received webhook deliveries on DynamoDB: idempotent intake, per-endpoint listing and the retry sweep."""

    def add(self, delivery: Delivery) -> bool:
        """Store a delivery at version 1 unless its endpoint already has one with this id.

        Returns
        -------
        bool
            True if stored now, False if it was a repeat.
        """
        return self._add_once(delivery)

    def save(self, delivery: Delivery) -> Delivery:
        """Update a delivery; it leaves the state index once in a state nobody sweeps.

        Raises
        ------
        VersionConflict
            When the stored delivery is not at ``delivery.version``.
        """
        return self._save(delivery)

    def get(self, endpoint_id: str, delivery_id: str) -> Delivery | None:
        return self._get(delivery_key(endpoint_id, delivery_id), Delivery)

    def for_endpoint(
        self, endpoint_id: str, *, state: DeliveryState | None = None, limit: int = 100
    ) -> builtins.list[Delivery]:
        if limit < 1:
            return []
        query: dict[str, Any] = {
            "KeyConditionExpression": Key(PK).eq(keys.endpoint_pk(endpoint_id))
            & Key(SK).begins_with(keys.DELIVERY_SK_PREFIX),
            "ConsistentRead": True,
        }
        if state is not None:
            query["FilterExpression"] = Attr("state").eq(state.value)
        return self._query(Delivery, limit=limit, **query)

    def delete(self, delivery: Delivery) -> None:
        self._delete(delivery)

    def by_state(
        self, state: DeliveryState, *, due_before: datetime | None = None, limit: int = 100
    ) -> builtins.list[Delivery]:
        state = DeliveryState(state)
        if limit < 1 or state not in LISTABLE_DELIVERY_STATES:
            return []
        return self._query(
            Delivery,
            limit=limit,
            IndexName=GSI1,
            KeyConditionExpression=due_condition(keys.deliveries_by_state_gsi1(state.value), due_before),
        )

    def from_person(self, tenant_id: str, person: str) -> builtins.list[Delivery]:
        return self._query(
            Delivery,
            IndexName=GSI2,
            KeyConditionExpression=Key(GSI2PK).eq(keys.delivery_sender_gsi2(tenant_id, person)),
        )


class InMemoryDeliveries(DeliveryRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str], Delivery] = VersionedStore()

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

    def delete(self, delivery: Delivery) -> None:
        self.items.remove((delivery.endpoint_id, delivery.delivery_id))

    def by_state(self, state: DeliveryState, *, due_before: datetime | None = None, limit: int = 100) -> list[Delivery]:
        if state not in LISTABLE_DELIVERY_STATES:
            return []
        chosen = self.items.select(
            lambda d: d.state == state and (due_before is None or _due_time(d) <= due_before),
            lambda d: (_due_time(d), d.endpoint_id, d.delivery_id),
        )
        return chosen[:limit]

    def from_person(self, tenant_id: str, person: str) -> list[Delivery]:
        return self.items.select(
            lambda d: d.tenant_id == tenant_id and d.person == person, lambda d: (d.endpoint_id, d.delivery_id)
        )
