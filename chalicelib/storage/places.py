"""Mentee place slots: the repository, the item layout, DynamoDB and the in-memory fake.

A programme's slots and its ``PlacesCounted`` marker share one key prefix, so ``ledger``
reads both with one query whatever the size of the cohort.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.places import PlacesCounted, PlaceSlot
from chalicelib.storage import keys
from chalicelib.storage.base import Attr, DynamoRepository, Key, VersionedStore, _client_error, _condition_failed
from chalicelib.storage.codec import PK, SK
from chalicelib.storage.registry import from_item, register_entity, to_item


@dataclass(frozen=True)
class Places:
    """A programme's slots taken so far (by index), and its marker of earlier mentees given slots (if any)."""

    slots: list[PlaceSlot]
    counted: PlacesCounted | None = None


class PlaceRepository(ABC):
    @abstractmethod
    def slots(self, tenant_id: str, programme_id: str) -> list[PlaceSlot]:
        """Every slot taken so far in the programme, by index."""

    @abstractmethod
    def ledger(self, tenant_id: str, programme_id: str) -> Places:
        """The slots and the counted marker of a programme, in one read."""

    @abstractmethod
    def take(self, slot: PlaceSlot, *, from_holder: str | None) -> bool:
        """Give ``slot`` to its holder if free (``from_holder`` None) or still ``from_holder``'s; True if given."""

    @abstractmethod
    def mark_counted(self, marker: PlacesCounted) -> None:
        """Record that every mentee holding a place had a slot at ``marker.programme_version``."""


def place_key(tenant_id: str, programme_id: str, index: int) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.place_sk(index)}


@register_entity("place_slot", PlaceSlot)
def _place_attributes(slot: PlaceSlot) -> dict[str, str]:
    return place_key(slot.tenant_id, slot.programme_id, slot.index)


@register_entity("places_counted", PlacesCounted)
def _counted_attributes(marker: PlacesCounted) -> dict[str, str]:
    return {PK: keys.programme_pk(marker.tenant_id, marker.programme_id), SK: keys.PLACES_COUNTED_SK}


class DynamoPlaces(DynamoRepository, PlaceRepository):
    """Place slots in the programme's partition; taking one is a single conditional put."""

    def slots(self, tenant_id: str, programme_id: str) -> builtins.list[PlaceSlot]:
        return self.ledger(tenant_id, programme_id).slots

    def ledger(self, tenant_id: str, programme_id: str) -> Places:
        query: dict[str, Any] = {
            "KeyConditionExpression": Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.PLACE_SK_PREFIX),
            "ConsistentRead": True,
        }
        slots: builtins.list[PlaceSlot] = []
        counted: PlacesCounted | None = None
        while True:
            response = self._table.query(**query)
            for item in response.get("Items", []):
                entity = from_item(item)
                if isinstance(entity, PlaceSlot):
                    slots.append(entity)
                elif isinstance(entity, PlacesCounted):
                    counted = entity
            last_key = response.get("LastEvaluatedKey")
            if last_key is None:
                return Places(slots, counted)
            query["ExclusiveStartKey"] = last_key

    def take(self, slot: PlaceSlot, *, from_holder: str | None) -> bool:
        # Free: nobody has written the slot. Passed on: the holder is still the one the caller saw go.
        condition = Attr(PK).not_exists() if from_holder is None else Attr("holder_id").eq(from_holder)
        try:
            self._table.put_item(Item=to_item(slot.model_copy(update={"version": 1})), ConditionExpression=condition)
        except _client_error() as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def mark_counted(self, marker: PlacesCounted) -> None:
        # Last writer wins: a marker of another programme version only makes the next signup count again.
        self._put_unconditionally(marker.model_copy(update={"version": 1}))


class InMemoryPlaces(PlaceRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, int], PlaceSlot] = VersionedStore()
        self.counted: dict[tuple[str, str], PlacesCounted] = {}

    def slots(self, tenant_id: str, programme_id: str) -> builtins.list[PlaceSlot]:
        return self.items.select(
            lambda s: (s.tenant_id, s.programme_id) == (tenant_id, programme_id), lambda s: s.index
        )

    def ledger(self, tenant_id: str, programme_id: str) -> Places:
        marker = self.counted.get((tenant_id, programme_id))
        return Places(self.slots(tenant_id, programme_id), marker.model_copy(deep=True) if marker else None)

    def take(self, slot: PlaceSlot, *, from_holder: str | None) -> bool:
        key = (slot.tenant_id, slot.programme_id, slot.index)
        with self.items.lock:
            current = self.items.get(key)
            if (current.holder_id if current is not None else None) != from_holder:
                return False
            self.items[key] = slot.model_copy(update={"version": 1})
        return True

    def mark_counted(self, marker: PlacesCounted) -> None:
        with self.items.lock:
            self.counted[(marker.tenant_id, marker.programme_id)] = marker.model_copy(update={"version": 1})
