"""Raw bodies too large for their delivery's item, kept in parts beside it in the endpoint's partition.

A vendor sends up to 1 MiB, compressed into the delivery item; a body that does not
compress below DynamoDB's 400 KB (uploads, long free text) would be refused after its
signature verified, and the vendor does not send it again. Such a body is cut into
parts of ``PART_BYTES``, each its own item, written before the delivery that names them.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from datetime import datetime

from pydantic import Field

from chalicelib.domain.common import DomainModel
from chalicelib.storage import keys
from chalicelib.storage.base import DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import PK, SK
from chalicelib.storage.registry import register_entity

PART_BYTES = 256 * 1024
"""Raw bytes per part: compressed or not, a part stays well below the 400 KB item limit."""


class BodyPart(DomainModel):
    tenant_id: str
    endpoint_id: str
    delivery_id: str
    index: int = Field(ge=0)
    chunk: bytes = Field(repr=False)
    expires_at: datetime | None = None


class DeliveryBodyRepository(ABC):
    @abstractmethod
    def put(self, parts: builtins.list[BodyPart]) -> None:
        """Store a body's parts (a repeat stores the same bytes again)."""

    @abstractmethod
    def read(self, endpoint_id: str, delivery_id: str) -> bytes | None:
        """The whole body from its parts, or None when there are none."""

    @abstractmethod
    def delete(self, endpoint_id: str, delivery_id: str) -> None: ...


def split(
    body: bytes, *, tenant_id: str, endpoint_id: str, delivery_id: str, expires_at: datetime | None
) -> builtins.list[BodyPart]:
    return [
        BodyPart(
            tenant_id=tenant_id,
            endpoint_id=endpoint_id,
            delivery_id=delivery_id,
            index=n,
            chunk=body[start : start + PART_BYTES],
            expires_at=expires_at,
        )
        for n, start in enumerate(range(0, len(body), PART_BYTES))
    ]


@register_entity("delivery_body_part", BodyPart)
def _part_attributes(part: BodyPart) -> dict[str, str]:
    return {PK: keys.endpoint_pk(part.endpoint_id), SK: keys.body_part_sk(part.delivery_id, part.index)}


class DynamoDeliveryBodies(DynamoRepository, DeliveryBodyRepository):
    def put(self, parts: builtins.list[BodyPart]) -> None:
        for part in parts:
            self._put_unconditionally(part.model_copy(update={"version": 1}))

    def _parts(self, endpoint_id: str, delivery_id: str) -> builtins.list[BodyPart]:
        return self._query(
            BodyPart,
            KeyConditionExpression=Key(PK).eq(keys.endpoint_pk(endpoint_id))
            & Key(SK).begins_with(keys.body_parts_prefix(delivery_id)),
            ConsistentRead=True,
        )

    def read(self, endpoint_id: str, delivery_id: str) -> bytes | None:
        parts = self._parts(endpoint_id, delivery_id)
        return b"".join(p.chunk for p in parts) if parts else None

    def delete(self, endpoint_id: str, delivery_id: str) -> None:
        for part in self._parts(endpoint_id, delivery_id):
            self._delete(part)


class InMemoryDeliveryBodies(DeliveryBodyRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[tuple[str, str, int], BodyPart] = VersionedStore()

    def put(self, parts: builtins.list[BodyPart]) -> None:
        with self.items.lock:
            for part in parts:
                self.items[(part.endpoint_id, part.delivery_id, part.index)] = part.model_copy(update={"version": 1})

    def read(self, endpoint_id: str, delivery_id: str) -> bytes | None:
        wanted = (endpoint_id, delivery_id)
        parts = self.items.select(lambda p: (p.endpoint_id, p.delivery_id) == wanted, lambda p: p.index)
        return b"".join(p.chunk for p in parts) if parts else None

    def delete(self, endpoint_id: str, delivery_id: str) -> None:
        with self.items.lock:
            for key in [k for k in self.items if k[:2] == (endpoint_id, delivery_id)]:
                del self.items[key]
