"""Webhook endpoints: the repository, the item layout (per-tenant index), DynamoDB and the in-memory fake."""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod

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
