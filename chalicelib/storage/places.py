"""Mentee place slots: the repository, the item layout, DynamoDB and the in-memory fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod

from chalicelib.domain.places import PlaceSlot
from chalicelib.storage import keys
from chalicelib.storage.base import Attr, DynamoRepository, Key, VersionedStore, _client_error, _condition_failed
from chalicelib.storage.codec import PK, SK
from chalicelib.storage.registry import register_entity, to_item


class PlaceRepository(ABC):
    @abstractmethod
    def slots(self, tenant_id: str, programme_id: str) -> list[PlaceSlot]:
        """Every slot taken so far in the programme, by index."""

    @abstractmethod
    def take(self, slot: PlaceSlot, *, from_holder: str | None) -> bool:
        """Give ``slot`` to its holder if free (``from_holder`` None) or still ``from_holder``'s; True if given."""


def place_key(tenant_id: str, programme_id: str, index: int) -> dict[str, str]:
    return {PK: keys.programme_pk(tenant_id, programme_id), SK: keys.place_sk(index)}


@register_entity("place_slot", PlaceSlot)
def _place_attributes(slot: PlaceSlot) -> dict[str, str]:
    return place_key(slot.tenant_id, slot.programme_id, slot.index)


class DynamoPlaces(DynamoRepository, PlaceRepository):
    """Place slots in the programme's partition; taking one is a single conditional put."""

    def slots(self, tenant_id: str, programme_id: str) -> builtins.list[PlaceSlot]:
        return self._query(
            PlaceSlot,
            KeyConditionExpression=Key(PK).eq(keys.programme_pk(tenant_id, programme_id))
            & Key(SK).begins_with(keys.PLACE_SK_PREFIX),
            ConsistentRead=True,
        )

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


class InMemoryPlaces(PlaceRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, int], PlaceSlot] = VersionedStore()

    def slots(self, tenant_id: str, programme_id: str) -> builtins.list[PlaceSlot]:
        return self.items.select(
            lambda s: (s.tenant_id, s.programme_id) == (tenant_id, programme_id), lambda s: s.index
        )

    def take(self, slot: PlaceSlot, *, from_holder: str | None) -> bool:
        key = (slot.tenant_id, slot.programme_id, slot.index)
        with self.items.lock:
            current = self.items.get(key)
            if (current.holder_id if current is not None else None) != from_holder:
                return False
            self.items[key] = slot.model_copy(update={"version": 1})
        return True
