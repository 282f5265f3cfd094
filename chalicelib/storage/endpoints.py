"""Webhook endpoints: the repository, the item layout (per-tenant index), DynamoDB, the in-memory fake, and a cache.

``CachedEndpoints`` keeps endpoints read by id for a short while in a warm process, for
``recent``: every webhook request reads its endpoint, which rarely changes. A save or a
delete through the same process forgets the endpoint at once; another process (another
warm Lambda) may go on using what it read for up to ``ENDPOINT_CACHE_TTL``, so a deleted
endpoint, a revoked secret or a new mapping takes effect everywhere within that time.
"""

from __future__ import annotations

import builtins
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import timedelta

from chalicelib.domain.webhook import WebhookEndpoint
from chalicelib.storage import keys
from chalicelib.storage.base import GSI1, DynamoRepository, Key, VersionedStore
from chalicelib.storage.codec import GSI1PK, GSI1SK, PK, SK
from chalicelib.storage.registry import register_entity


class EndpointRepository(ABC):
    @abstractmethod
    def save(self, endpoint: WebhookEndpoint) -> WebhookEndpoint: ...

    @abstractmethod
    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        """By id alone: the webhook route learns the tenant from the endpoint."""

    def recent(self, endpoint_id: str) -> WebhookEndpoint | None:
        """Like ``get``, but an endpoint read moments ago may be answered again (``CachedEndpoints``)."""
        return self.get(endpoint_id)

    @abstractmethod
    def list(self, tenant_id: str) -> list[WebhookEndpoint]: ...

    @abstractmethod
    def delete(self, endpoint: WebhookEndpoint) -> None: ...


def endpoint_key(endpoint_id: str) -> dict[str, str]:
    return {PK: keys.endpoint_pk(endpoint_id), SK: keys.ENDPOINT_SK}


@register_entity("webhook_endpoint", WebhookEndpoint)
def _endpoint_attributes(endpoint: WebhookEndpoint) -> dict[str, str]:
    return {
        **endpoint_key(endpoint.endpoint_id),
        GSI1PK: keys.tenant_endpoints_gsi1(endpoint.tenant_id),
        GSI1SK: endpoint.endpoint_id,
    }


class DynamoEndpoints(DynamoRepository, EndpointRepository):
    """Webhook endpoints on DynamoDB, by id (webhook requests) and per tenant (admin)."""

    def save(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        """Create (version 0) or update an endpoint.

        Raises
        ------
        VersionConflict
            When the stored endpoint is not at ``endpoint.version``.
        """
        return self._save(endpoint)

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self._get(endpoint_key(endpoint_id), WebhookEndpoint)

    def list(self, tenant_id: str) -> builtins.list[WebhookEndpoint]:
        return self._query(
            WebhookEndpoint,
            IndexName=GSI1,
            KeyConditionExpression=Key(GSI1PK).eq(keys.tenant_endpoints_gsi1(tenant_id)),
        )

    def delete(self, endpoint: WebhookEndpoint) -> None:
        self._delete(endpoint)


class InMemoryEndpoints(EndpointRepository):
    def __init__(self) -> None:
        self.items: VersionedStore[str, WebhookEndpoint] = VersionedStore()

    def save(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        return self.items.put_versioned(endpoint.endpoint_id, endpoint)

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self.items.read(endpoint_id)

    def list(self, tenant_id: str) -> list[WebhookEndpoint]:
        return self.items.select(lambda e: e.tenant_id == tenant_id, lambda e: e.endpoint_id)

    def delete(self, endpoint: WebhookEndpoint) -> None:
        self.items.remove(endpoint.endpoint_id)


ENDPOINT_CACHE_TTL = timedelta(seconds=30)


class CachedEndpoints(EndpointRepository):
    """An endpoint repository whose ``recent`` answers from what it read in the last ``ttl``.

    ``get`` always reads (and refreshes the cache), so admin reads and versioned updates
    see the stored endpoint; ``save`` and ``delete`` forget it. An endpoint that does not
    exist is not cached: a URL created a moment ago works at once.
    """

    def __init__(
        self,
        inner: EndpointRepository,
        *,
        ttl: timedelta = ENDPOINT_CACHE_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self._ttl = ttl.total_seconds()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[float, WebhookEndpoint]] = {}

    def save(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        try:
            return self.inner.save(endpoint)
        finally:
            self._forget(endpoint.endpoint_id)

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        found = self.inner.get(endpoint_id)
        with self._lock:
            if found is None:
                self._kept.pop(endpoint_id, None)
            else:
                self._kept[endpoint_id] = (self._monotonic() + self._ttl, found)
        return None if found is None else found.model_copy(deep=True)

    def recent(self, endpoint_id: str) -> WebhookEndpoint | None:
        with self._lock:
            kept = self._kept.get(endpoint_id)
        if kept is not None and kept[0] > self._monotonic():
            return kept[1].model_copy(deep=True)
        return self.get(endpoint_id)

    def list(self, tenant_id: str) -> builtins.list[WebhookEndpoint]:
        return self.inner.list(tenant_id)

    def delete(self, endpoint: WebhookEndpoint) -> None:
        try:
            self.inner.delete(endpoint)
        finally:
            self._forget(endpoint.endpoint_id)

    def _forget(self, endpoint_id: str) -> None:
        with self._lock:
            self._kept.pop(endpoint_id, None)
