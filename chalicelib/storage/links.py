"""Uses of single-use links: one item per link used, written once, removed by TTL after the link expires."""

from __future__ import annotations

from abc import ABC, abstractmethod

from chalicelib.domain.links import UsedLink
from chalicelib.storage import keys
from chalicelib.storage.base import DynamoRepository, VersionedStore
from chalicelib.storage.codec import PK, SK
from chalicelib.storage.registry import register_entity


class UsedLinkRepository(ABC):
    @abstractmethod
    def add(self, used: UsedLink) -> bool:
        """Record that a link was used, unless it was already. True if this is its first use."""

    @abstractmethod
    def get(self, link_id: str) -> UsedLink | None: ...


def used_link_key(link_id: str) -> dict[str, str]:
    return {PK: keys.link_pk(link_id), SK: keys.USED_LINK_SK}


@register_entity("used_link", UsedLink)
def _used_link_attributes(used: UsedLink) -> dict[str, str]:
    return used_link_key(used.link_id)


class DynamoUsedLinks(DynamoRepository, UsedLinkRepository):
    """Single use rests on one create-only write: of two clicks at the same instant, one wins."""

    def add(self, used: UsedLink) -> bool:
        return self._add_once(used)

    def get(self, link_id: str) -> UsedLink | None:
        return self._get(used_link_key(link_id), UsedLink)


class InMemoryUsedLinks(UsedLinkRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[str, UsedLink] = VersionedStore()

    def add(self, used: UsedLink) -> bool:
        return self.items.put_new(used.link_id, used)

    def get(self, link_id: str) -> UsedLink | None:
        return self.items.read(link_id)
